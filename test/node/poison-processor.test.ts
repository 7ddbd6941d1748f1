// The processor's output goes through the same door as an operator's answer: a processor (a real
// HTTP server on 127.0.0.1) that answers with JSON too deep to cross, text that is not well-formed
// Unicode, or a Content-Type the request network would refuse, never puts a record in the outbox.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { outbox, responses } from "../../schema/index.ts";
import { runProcessor } from "../../src/requests/processor.ts";
import { answerRequest } from "../../src/requests/answers.ts";
import { getRequest } from "../../src/requests/requests.ts";
import { ApiError } from "../../src/errors.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";

let reply: { type: string; body: string } = { type: "application/json", body: "{}" };
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": reply.type }).end(reply.body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const POISON: Array<{ name: string; type: string; body: string; direct?: boolean }> = [
  { name: "arrays 1,800 deep", type: "application/json", body: "[".repeat(1800) + "]".repeat(1800) },
  { name: "1e400", type: "application/json", body: '{"n":1e400}' },
  { name: "a Content-Type over 200 characters", type: `text/plain; x=${"a".repeat(250)}`, body: "fine" },
  // (HTTP carries UTF-8, so a lone surrogate cannot come from the processor: the service is called directly.)
  { name: "a text answer with a lone surrogate", type: "text/plain", body: "\ud800", direct: true },
];

describe("the processor's answers pass the same checks", () => {
  it("poison from the processor: no response, no outbox record, no exception; a good answer still goes out", async () => {
    const s = await nodeServices({ NETWORK_ROLE: "response", AIRLOCK_PROCESSOR_URL: url, AIRLOCK_PROCESSOR_TIMEOUT_MS: "2000" });
    for (const p of POISON) {
      const r = await seedRequest(s, "usr_poison");
      reply = { type: p.type, body: p.body };
      const before = (await s.db.orm.select().from(outbox).all()).filter((o) => o.kind === "response");
      if (!p.direct) await expect(runProcessor(s), p.name).resolves.toMatchObject({ due: 1, answered: 0 });
      expect(await s.db.orm.select().from(responses).where(eq(responses.requestId, r.id)).get(), p.name).toBeUndefined();
      expect(
        (await s.db.orm.select().from(outbox).all()).filter((o) => o.kind === "response"),
        p.name,
      ).toEqual(before);
      // What the service says to the processor's output: a 4xx problem naming the field, never a 500.
      const e = await answerRequest(
        s,
        (await getRequest(s, r.id))!,
        { id: "processor", role: "system", audit: { actorType: "system", actorId: "processor" } },
        {
          body: p.type === "application/json" ? JSON.parse(p.body) : p.body,
          content_type: p.type,
        },
      ).catch((x: unknown) => x);
      expect(e, p.name).toBeInstanceOf(ApiError);
      expect((e as ApiError).status, p.name).toBe(400);
      expect((e as ApiError).options.errors?.[0].pointer, p.name).toBe(
        p.name.startsWith("a Content-Type") ? "/content_type" : p.name === "1e400" ? "/body/n" : p.name.startsWith("arrays") ? `/body${"/0".repeat(64)}` : "/body",
      );
    }
    const good = await seedRequest(s, "usr_poison");
    reply = { type: "application/json", body: '{"ok":"\\u0000\\u2028"}' };
    const run = await runProcessor(s);
    // The good one, and the last poison request (its service call was refused, so it is still due).
    expect(run).toMatchObject({ due: 2, answered: 2 });
    expect(await s.db.orm.select().from(responses).where(eq(responses.requestId, good.id)).get()).toMatchObject({ body: '{"ok":"\\u0000\u2028"}', kind: "answer" });
    const record = (await s.db.orm.select().from(outbox).all()).find((o) => o.kind === "response" && o.entityId === good.id);
    expect(JSON.parse(record!.payload)).toMatchObject({ request_id: good.id, body: '{"ok":"\\u0000\u2028"}' });
  });
});
