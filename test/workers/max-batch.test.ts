// A batch at the configured maximum (5,000 records, ~8 MiB of JSONL), sealed as the master seals
// it, is opened and imported inside workerd (a 128 MB isolate) into D1 in ONE atomic db.batch,
// within the statement and parameter limits.
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { count } from "drizzle-orm";
import { users } from "../../schema/index.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import { buildBatch, generateEncryptionKey, keyIdOf, parseEncryptionKeys, ZERO_HASH } from "../../src/transfer/batch/index.ts";
import { receiveUpload } from "../../src/transfer/inbox.ts";
import { STATE, num, readState } from "../../src/transfer/state.ts";

describe("maximum-size batch inside workerd", () => {
  it("5,000 records near AIRLOCK_BATCH_MAX_BYTES import atomically into D1", async () => {
    const { services: s } = await servicesFor(env as unknown as WorkerEnv);
    const { maxRecords, maxRawBytes } = s.config.transfer;
    // Random padding, so the body barely compresses and the sealed file is megabytes, not kilobytes.
    const randomPad = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(900))));
    const records = Array.from({ length: maxRecords }, (_, i) => {
      const pad = randomPad();
      const id = `usr_MAXBATCH${String(i).padStart(17, "0")}`;
      const data = {
        id,
        email: `max${i}@example.com`,
        emailNormalized: `max${i}@example.com`,
        name: `Max ${i}`,
        role: "user",
        status: "active",
        passwordHash: "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        rateLimits: JSON.stringify({ note: pad }),
        version: 1,
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:00:00.000Z",
      };
      return { kind: "user", id, version: 1, data };
    });
    const state = await readState(s);
    const last = num(state[STATE.inLastSequence]);
    const key = inject("masterSigningKey") as Parameters<typeof keyIdOf>[0];
    const built = await buildBatch({
      records,
      source: s.config.peerNetworkId,
      destination: s.config.networkId,
      sequence: last + 1,
      prevHash: last === 0 ? ZERO_HASH : state[STATE.inLastBodySha]!,
      ack: 0,
      ttlMs: 3_600_000,
      signingKey: { privateJwk: key, keyId: await keyIdOf(key) },
      // To the Worker's own key (the destination), and to a key standing for the master's own copy.
      seal: {
        recipient: (await parseEncryptionKeys(s.config.transfer.encryptionKeys!)).current,
        sender: (await parseEncryptionKeys([(await generateEncryptionKey()).privateJwk])).current,
      },
    });
    expect(built.manifest.format).toBe(3);
    expect(built.manifest.raw_bytes).toBeGreaterThan(0.9 * maxRawBytes);
    expect(built.manifest.raw_bytes).toBeLessThanOrEqual(maxRawBytes);
    const before = (await s.db.orm.select({ n: count() }).from(users).get())!.n;
    const started = Date.now();
    const result = await receiveUpload(s, built.file, "max-batch");
    const ms = Date.now() - started;
    expect(result).toMatchObject({ outcome: "applied", sequence: last + 1 });
    expect((await s.db.orm.select({ n: count() }).from(users).get())!.n).toBe(before + maxRecords);
    console.log(
      `max batch in workerd: ${maxRecords} records, ${(built.manifest.raw_bytes / 1048576).toFixed(2)} MiB raw, ${(built.file.length / 1024).toFixed(0)} KiB file, imported in ${ms} ms`,
    );
  }, 120_000);
});
