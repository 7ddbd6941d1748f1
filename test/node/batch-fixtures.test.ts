// Batch files written by earlier releases (test/fixtures/batches/format-*) must import in this
// one: a format change can never strand a batch that is in flight while one side is upgraded.
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { requests, responses, users } from "../../schema/index.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { createApp } from "../../src/app.ts";
import { FORMAT_VERSION, generateSigningKey } from "../../src/transfer/batch/index.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { upload, type Net } from "../helpers/transfer.ts";

const DIR = join(import.meta.dirname, "../fixtures/batches");
const sets = readdirSync(DIR).filter((d) => d.startsWith("format-"));

describe("batch files of every earlier format", () => {
  it("there is a fixture set for the format this release writes and for each earlier one", () => {
    expect(sets.sort()).toEqual(Array.from({ length: FORMAT_VERSION }, (_, i) => `format-${i + 1}`));
  });

  for (const set of sets) {
    it(`${set}: every file imports (applied), and both networks end up as the release that wrote them left them`, async () => {
      const f = JSON.parse(await readFile(join(DIR, set, "fixture.json"), "utf8"));
      const clock = new ManualClock(new Date(Date.parse(f.created_at) + 60_000));
      const net = async (role: "request" | "response"): Promise<Net> => {
        const peer = role === "request" ? "response" : "request";
        const own = await generateSigningKey();
        const services = await nodeServices(
          {
            NETWORK_ROLE: role,
            AIRLOCK_NETWORK_ID: f.networks[role],
            AIRLOCK_PEER_NETWORK_ID: f.networks[peer],
            AIRLOCK_SIGNING_KEY: JSON.stringify(own.privateJwk),
            AIRLOCK_PEER_PUBLIC_KEYS: JSON.stringify([f.public_keys[peer]]),
            // Sealed formats: the fixture's own destination key opens them.
            ...(f.fixture_opening_keys ? { AIRLOCK_ENCRYPTION_KEYS: JSON.stringify([f.fixture_opening_keys[role]]) } : {}),
          },
          { clock },
        );
        return { app: createApp(services), services };
      };
      const to = { "response-to-request": await net("request"), "request-to-response": await net("response") } as Record<string, Net>;
      for (const file of f.files as Array<{ file: string; direction: string; sequence: number }>) {
        const r = await upload(to[file.direction], new Uint8Array(await readFile(join(DIR, set, file.file))));
        expect(r.body, `${set}/${file.file}`).toMatchObject({ outcome: "applied", sequence: file.sequence });
        expect(r.body.dead_letters, `${set}/${file.file}`).toBeUndefined();
      }
      const replica = to["response-to-request"].services;
      const emails = (await replica.db.orm.select({ e: users.email }).from(users).all()).map((u) => u.e).sort();
      expect(emails).toEqual([...f.expect.users].sort());
      const answered = await replica.db.orm.select().from(responses).where(eq(responses.requestId, f.expect.answered)).get();
      expect(JSON.parse(answered!.body!)).toEqual(f.expect.answer);
      const master = to["request-to-response"].services;
      // The rejection reached the replica as a response record; the master received the request (it rejected it itself).
      expect((await replica.db.orm.select().from(responses).where(eq(responses.requestId, f.expect.rejected)).get())?.kind).toBe("rejection");
      expect((await master.db.orm.select().from(requests).where(eq(requests.id, f.expect.rejected)).get())?.status).toBe("received");
      expect((await master.db.orm.select({ id: requests.id }).from(requests).all()).map((r) => r.id).sort()).toEqual([f.expect.answered, f.expect.rejected].sort());
    });
  }
});
