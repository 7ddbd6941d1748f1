// `npm run bench:transfer`: export and import throughput (records/s) through the real
// code on libSQL files, beside a raw libSQL insert of the same rows in one transaction.
//   npx tsx scripts/bench-transfer.ts [--records=20000]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { loadConfig } from "../src/config.ts";
import { buildOnPremServices } from "../src/runtime/node/services.ts";
import { readMigrations } from "../src/runtime/node/files.ts";
import { nodeRuntime } from "../src/runtime/node-server.ts";
import { MemoryLogger } from "../src/deps/logger.ts";
import { outbox } from "../schema/index.ts";
import { generateNetworkKeys, transferSettings } from "../src/transfer/batch/network-keys.ts";
import { buildBatch, parseEncryptionKeys, parsePeerKeys, parseRecipientKey, verifyBatch, ZERO_HASH } from "../src/transfer/batch/index.ts";
import { exportBatches } from "../src/transfer/export.ts";
import { receiveUpload } from "../src/transfer/inbox.ts";
import { applyMigrations } from "../src/deps/db/migrate.ts";
import { batchesOut } from "../schema/index.ts";
import { asc } from "drizzle-orm";

const N = Number(process.argv.find((a) => a.startsWith("--records="))?.split("=")[1] ?? 20_000);
const dir = await mkdtemp(join(tmpdir(), "airlock-bench-"));
const keys = { request: await generateNetworkKeys(), response: await generateNetworkKeys() };
const env = (role: "request" | "response") => ({
  NETWORK_ROLE: role,
  AIRLOCK_DATA_DIR: join(dir, role),
  AIRLOCK_JWT_SECRET: "bench-secret-0123456789abcdef0123456789",
  ...transferSettings(keys[role], keys[role === "request" ? "response" : "request"]),
});
const services = (role: "request" | "response") => buildOnPremServices(loadConfig(env(role)), { runtime: nodeRuntime(), logger: new MemoryLogger() });

const user = (i: number) => {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  const id = `usr_BENCH${String(i).padStart(21, "0")}`;
  return {
    id,
    email: `u${i}@example.com`,
    emailNormalized: `u${i}@example.com`,
    name: `User ${i}`,
    role: "user",
    status: "active",
    passwordHash: `pbkdf2-sha256$100000$${"A".repeat(22)}$${"B".repeat(43)}`,
    rateLimits: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
};
const rows = Array.from({ length: N }, (_, i) => user(i));

// A backlog of N user changes on the master.
const master = await services("response");
for (let i = 0; i < N; i += 2000) {
  await master.db.orm.insert(outbox).values(rows.slice(i, i + 2000).map((u) => ({ kind: "user", entityId: u.id, version: 1, payload: JSON.stringify(u), createdAt: u.createdAt })));
}

let t = performance.now();
const { exported } = await exportBatches(master);
const exportMs = performance.now() - t;
const files = [];
for (const b of await master.db.orm.select().from(batchesOut).orderBy(asc(batchesOut.sequence)).all()) files.push((await master.batches.get("outbox", b.fileName))!);

const replica = await services("request");
t = performance.now();
for (const f of files) {
  const r = await receiveUpload(replica, f, "bench");
  if (r.outcome !== "applied") throw new Error(`import: ${r.outcome} ${r.reason}`);
}
const importMs = performance.now() - t;

// The same rows, raw: one libSQL transaction of prepared INSERTs, no verification, no outbox.
const raw = createClient({ url: `file:${join(dir, "raw.db")}` });
await applyMigrations(raw, await readMigrations());
t = performance.now();
await raw.batch(
  rows.map((u) => ({
    sql: "INSERT INTO users (id, email, email_normalized, name, role, status, password_hash, rate_limits, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    args: [u.id, u.email, u.emailNormalized, u.name, u.role, u.status, u.passwordHash, u.rateLimits, u.version, u.createdAt, u.updatedAt],
  })),
  "write",
);
const rawMs = performance.now() - t;

const bytes = files.reduce((n, f) => n + f.length, 0);
const rate = (ms: number) => Math.round((N / ms) * 1000).toLocaleString("en-US");
console.log(`\n${N.toLocaleString("en-US")} user records, ${exported.length} batches, ${(bytes / 1024).toFixed(0)} KiB of batch files\n`);
console.log("| step | time | records/s |");
console.log("| --- | ---: | ---: |");
console.log(`| export (outbox → sealed, signed batches → batch store → marked) | ${exportMs.toFixed(0)} ms | ${rate(exportMs)} |`);
console.log(`| import (verify signature + checksum + open + inflate + schema + ownership → one atomic batch per file) | ${importMs.toFixed(0)} ms | ${rate(importMs)} |`);
console.log(`| raw libSQL insert of the same rows, one transaction | ${rawMs.toFixed(0)} ms | ${rate(rawMs)} |`);

// Sealing, side by side: the same records built and verified in the clear (format 2) and sealed
// (format 3), alternating, five rounds; medians and their ratio.
const sample = rows.slice(0, 5_000).map((u) => ({ kind: "user", id: u.id, version: 1, data: u as unknown as Record<string, unknown> }));
const signing = { privateJwk: keys.response.signing.privateJwk, keyId: keys.response.signing.keyId };
const seal = { recipient: await parseRecipientKey(keys.request.encryption.publicJwk), sender: (await parseEncryptionKeys([keys.response.encryption.privateJwk])).current };
const verifyWith = {
  expectedDestination: "airlock-request",
  peerKeys: await parsePeerKeys([keys.response.signing.publicJwk]),
  openingKeys: (await parseEncryptionKeys([keys.request.encryption.privateJwk])).opening,
};
const timings: Record<"plain" | "sealed", { build: number[]; verify: number[]; bytes: number }> = {
  plain: { build: [], verify: [], bytes: 0 },
  sealed: { build: [], verify: [], bytes: 0 },
};
for (let round = 0; round < 5; round++) {
  for (const mode of ["plain", "sealed"] as const) {
    t = performance.now();
    const built = await buildBatch({
      records: sample,
      source: "airlock-response",
      destination: "airlock-request",
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 3_600_000,
      signingKey: signing,
      ...(mode === "sealed" ? { seal } : {}),
    });
    timings[mode].build.push(performance.now() - t);
    timings[mode].bytes = built.file.length;
    t = performance.now();
    const v = await verifyBatch(built.file, verifyWith);
    timings[mode].verify.push(performance.now() - t);
    if (!v.ok || v.records.length !== sample.length) throw new Error(`verify ${mode}: ${v.ok ? "records" : v.reason}`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nSealing a batch of ${sample.length.toLocaleString("en-US")} user records (medians of 5 alternating rounds)\n`);
console.log("| step | in the clear (format 2) | sealed (format 3) | sealed / clear |");
console.log("| --- | ---: | ---: | ---: |");
for (const step of ["build", "verify"] as const) {
  const [a, b] = [median(timings.plain[step]), median(timings.sealed[step])];
  console.log(`| ${step} | ${a.toFixed(1)} ms | ${b.toFixed(1)} ms | ${(b / a).toFixed(2)} |`);
}
console.log(
  `| file size | ${(timings.plain.bytes / 1024).toFixed(0)} KiB | ${(timings.sealed.bytes / 1024).toFixed(0)} KiB | ${(timings.sealed.bytes / timings.plain.bytes).toFixed(3)} |`,
);

raw.close();
await master.db.close();
await replica.db.close();
await rm(dir, { recursive: true, force: true });
