// The processor against a real HTTP server on 127.0.0.1 (Node's http module): answers, text
// answers, rejections, timeouts, server errors, retries with backoff, giving up — and operators
// seeing the failures in the queue.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { outbox, requests, responses } from "../../schema/index.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { createApp } from "../../src/app.ts";
import { jobsFor } from "../../src/jobs/table.ts";
import { runProcessor } from "../../src/requests/processor.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => unknown;
const seen: Array<{ headers: IncomingMessage["headers"]; body: any }> = [];
let handler: Handler = (_req, _body, res) => res.end();
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ headers: req.headers, body: JSON.parse(body) });
      void handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const TOKEN = "processor-token-0123456789";

async function setup(extra: Record<string, string> = {}) {
  seen.length = 0;
  const clock = new ManualClock(new Date());
  const s = await nodeServices(
    {
      NETWORK_ROLE: "response",
      AIRLOCK_PROCESSOR_URL: url,
      AIRLOCK_PROCESSOR_TOKEN: TOKEN,
      AIRLOCK_PROCESSOR_TIMEOUT_MS: "300",
      AIRLOCK_PROCESSOR_MAX_ATTEMPTS: "3",
      AIRLOCK_PROCESSOR_BACKOFF_SECONDS: "10",
      ...extra,
    },
    { clock },
  );
  const row = async (id: string) => (await s.db.orm.select().from(requests).where(eq(requests.id, id)).get())!;
  return { s, clock, row, app: createApp(s) };
}

const json = (res: ServerResponse, status: number, value: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
};

describe("the processor (real HTTP server)", () => {
  it("answers: the request is POSTed with its id as Idempotency-Key and the token; the JSON answer becomes the response and travels", async () => {
    const { s, row } = await setup();
    const r = await seedRequest(s, "usr_someone");
    handler = (_req, _body, res) => json(res, 200, { answer: 42 });
    expect(await runProcessor(s)).toEqual({ due: 1, answered: 1, rejected: 0, failed: 0, gave_up: 0, skipped: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0].headers).toMatchObject({ "idempotency-key": r.id, authorization: `Bearer ${TOKEN}`, "content-type": "application/json" });
    expect(seen[0].body).toEqual({ id: r.id, user_id: "usr_someone", topic: "fixture", body: { q: "fixture" }, priority: 0, created_at: r.createdAt, attempt: 1 });
    expect(await row(r.id)).toMatchObject({ status: "answered", processorAttempts: 1, processorError: null, claimedBy: null });
    expect(await s.db.orm.select().from(responses).where(eq(responses.requestId, r.id)).get()).toMatchObject({
      kind: "answer",
      body: '{"answer":42}',
      contentType: "application/json",
      answeredBy: "processor",
      version: 1,
    });
    const out = await s.db.orm.select().from(outbox).where(eq(outbox.entityId, r.id)).orderBy(asc(outbox.seq)).all();
    expect(out.map((o) => [o.kind, o.version, JSON.parse(o.payload).status ?? JSON.parse(o.payload).kind])).toEqual([
      ["request_status", 2, "processing"],
      ["request_status", 3, "answered"],
      ["response", 1, "answer"],
    ]);
    // Nothing left to do.
    expect(await runProcessor(s)).toMatchObject({ due: 0 });
  });

  it("text answers keep their content type; 422 with a reason rejects", async () => {
    const { s, row } = await setup();
    const text = await seedRequest(s, "usr_a");
    const refuse = await seedRequest(s, "usr_b");
    handler = (_req, body, res) => {
      if (JSON.parse(body).id === refuse.id) return json(res, 422, { reason: "not something we answer" });
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("It will rain.");
    };
    expect(await runProcessor(s)).toMatchObject({ due: 2, answered: 1, rejected: 1 });
    expect(await s.db.orm.select().from(responses).where(eq(responses.requestId, text.id)).get()).toMatchObject({
      body: "It will rain.",
      contentType: "text/plain; charset=utf-8",
    });
    expect(await row(refuse.id)).toMatchObject({ status: "rejected" });
    expect(await s.db.orm.select().from(responses).where(eq(responses.requestId, refuse.id)).get()).toMatchObject({ kind: "rejection", reason: "not something we answer" });
  });

  it("a timeout, then a 500, then an answer: each failure recorded with the next attempt after the backoff; operators see it in the queue", async () => {
    const { s, clock, row, app } = await setup();
    const r = await seedRequest(s, "usr_c");
    const op = await seedSession(s, { role: "operator" });
    let calls = 0;
    handler = async (_req, _body, res) => {
      calls++;
      if (calls === 1) {
        await new Promise((w) => setTimeout(w, 800)); // past the 300 ms timeout
        if (!res.destroyed) json(res, 200, { late: true });
        return;
      }
      if (calls === 2) return json(res, 500, { error: "database down" });
      return json(res, 200, { third: "time lucky" });
    };

    const t0 = clock.now().getTime();
    const started = Date.now();
    expect(await runProcessor(s)).toMatchObject({ due: 1, failed: 1 });
    expect(Date.now() - started).toBeLessThan(800);
    expect(await row(r.id)).toMatchObject({
      status: "processing",
      processorAttempts: 1,
      processorError: "timed out after 300 ms",
      processorNextAt: new Date(t0 + 10_000).toISOString(),
      claimedBy: null,
    });
    const queue = (await (await app.request("/v1/queue?processor_failed=true", { headers: { authorization: op.auth } }, {})).json()) as any;
    expect(queue.items).toEqual([
      expect.objectContaining({ id: r.id, processor: { attempts: 1, error: "timed out after 300 ms", next_attempt_at: new Date(t0 + 10_000).toISOString() } }),
    ]);

    // Not due yet.
    expect(await runProcessor(s)).toMatchObject({ due: 0 });
    clock.advance(10_000);
    expect(await runProcessor(s)).toMatchObject({ due: 1, failed: 1 });
    expect(await row(r.id)).toMatchObject({
      processorAttempts: 2,
      processorError: expect.stringMatching(/^HTTP 500: /),
      processorNextAt: new Date(t0 + 10_000 + 20_000).toISOString(),
    });
    clock.advance(19_000);
    expect(await runProcessor(s)).toMatchObject({ due: 0 });
    clock.advance(1_000);
    // Through the job table this time (the same function, recorded in job_runs).
    const job = jobsFor("response").find((j) => j.name === "request-processor")!;
    expect(await job.run(s, { scheduledAt: clock.now() })).toMatchObject({ due: 1, answered: 1 });
    expect(await row(r.id)).toMatchObject({ status: "answered", processorAttempts: 3, processorError: null, processorNextAt: null });
    expect(seen.map((x) => x.body.attempt)).toEqual([1, 2, 3]);
  });

  it("after the last attempt it gives up and leaves the request to operators; a live operator claim is left alone", async () => {
    const { s, clock, row } = await setup({ AIRLOCK_PROCESSOR_MAX_ATTEMPTS: "2" });
    const r = await seedRequest(s, "usr_d");
    handler = (_req, _body, res) => json(res, 503, { busy: true });
    await runProcessor(s);
    clock.advance(10_000);
    await runProcessor(s);
    expect(await row(r.id)).toMatchObject({ processorAttempts: 2, processorError: expect.stringMatching(/gave up after 2 attempts/), processorNextAt: null });
    clock.advance(3_600_000);
    expect(await runProcessor(s)).toMatchObject({ due: 0 });

    const claimed = await seedRequest(s, "usr_e");
    await s.db.orm
      .update(requests)
      .set({ claimedBy: "usr_op", claimExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString() })
      .where(eq(requests.id, claimed.id));
    expect(await runProcessor(s)).toMatchObject({ due: 0 });
  });

  it("a processor that cannot be reached is a recorded failure; without AIRLOCK_PROCESSOR_URL the job does nothing", async () => {
    const { s, row } = await setup({ AIRLOCK_PROCESSOR_URL: "http://127.0.0.1:1/nothing-listens-here" });
    const r = await seedRequest(s, "usr_f");
    expect(await runProcessor(s)).toMatchObject({ failed: 1 });
    expect((await row(r.id)).processorError).toMatch(/^request failed: /);
    const plain = await nodeServices({ NETWORK_ROLE: "response" });
    expect(await runProcessor(plain)).toEqual({ skipped: "no processor configured" });
  });
});
