// One step of the export/import case, in a process of its own so that its peak RSS is its own:
//   node --import tsx scripts/bench/transfer-child.ts <seed|export|import|proxy|idle> <dir> <records>
// seed:   a backlog of <records> user changes in the master's outbox (not measured)
// export: exportBatches on the master; the files are copied out to <dir>/files
// import: the files put into the replica's inbox area, then the import job (transferImport)
// proxy:  the same rows as synchronous prepared INSERTs in one transaction (the libsql package)
// idle:   the replica's services built and nothing done: the RSS every step starts from
// Prints RESULT_MARK + JSON: { ms, rssMiB, ... }.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "libsql";
import { count } from "drizzle-orm";
import { batchesOut, outbox, users } from "../../schema/index.ts";
import { loadConfig } from "../../src/config.ts";
import { migrationStatements } from "../../src/deps/db/migrate.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { transferExport, transferImport } from "../../src/jobs/transfer.ts";
import { nodeRuntime } from "../../src/runtime/node-server.ts";
import { onPremFiles, readMigrations } from "../../src/runtime/node/files.ts";
import { buildOnPremServices } from "../../src/runtime/node/services.ts";
import { generateNetworkKeys, transferSettings } from "../../src/transfer/batch/network-keys.ts";
import { RESULT_MARK } from "./lib/procs.ts";
import { user } from "./lib/users.ts";

type Role = "request" | "response";
const [step, dir, recordsArg] = process.argv.slice(2);
const N = Number(recordsArg);
if (!["seed", "export", "import", "proxy", "idle"].includes(step) || !dir || !Number.isInteger(N) || N < 1) {
  console.error("usage: transfer-child.ts <seed|export|import|proxy|idle> <dir> <records>");
  process.exit(2);
}

// Bundled, this file no longer sits in the repository: say where the migrations are.
if (process.env.BENCH_ROOT) onPremFiles.migrations = join(process.env.BENCH_ROOT, "migrations");

const rssMiB = () => process.resourceUsage().maxRSS / 1024;
const done = (r: Record<string, unknown>) => console.log(`${RESULT_MARK}${JSON.stringify({ ...r, rssMiB: rssMiB() })}`);

async function services(role: Role) {
  const env = JSON.parse(await readFile(join(dir, "settings.json"), "utf8")) as Record<Role, Record<string, string>>;
  return buildOnPremServices(loadConfig(env[role]), { runtime: nodeRuntime(), logger: new MemoryLogger() });
}

if (step === "seed") {
  await mkdir(dir, { recursive: true });
  const keys = { request: await generateNetworkKeys(), response: await generateNetworkKeys() };
  const env = (role: Role) => ({
    NETWORK_ROLE: role,
    AIRLOCK_DATA_DIR: join(dir, role),
    AIRLOCK_JWT_SECRET: "bench-secret-0123456789abcdef0123456789",
    ...transferSettings(keys[role], keys[role === "request" ? "response" : "request"]),
  });
  await writeFile(join(dir, "settings.json"), JSON.stringify({ request: env("request"), response: env("response") }));
  const master = await services("response");
  for (let i = 0; i < N; i += 2000) {
    const chunk = Array.from({ length: Math.min(2000, N - i) }, (_, j) => user(i + j));
    await master.db.orm.insert(outbox).values(chunk.map((u) => ({ kind: "user", entityId: u.id, version: 1, payload: JSON.stringify(u), createdAt: u.createdAt })));
  }
  await master.db.close();
  done({});
} else if (step === "export") {
  const master = await services("response");
  // One run exports a bounded number of batches; a larger backlog takes several (bounded here too).
  let records = 0;
  let batches = 0;
  const t = performance.now();
  for (let run = 0; run < 1000 && records < N; run++) {
    const out = await transferExport(master);
    if (!out || "skipped" in out) throw new Error(`export: ${JSON.stringify(out)} after ${records} records`);
    records += out.records;
    batches += out.batches;
  }
  const ms = performance.now() - t;
  if (records !== N) throw new Error(`export: expected ${N} records, got ${records}`);
  await mkdir(join(dir, "files"), { recursive: true });
  let bytes = 0;
  for (const b of await master.db.orm.select().from(batchesOut).all()) {
    const file = (await master.batches.get("outbox", b.fileName))!;
    bytes += file.length;
    await writeFile(join(dir, "files", b.fileName), file);
  }
  await master.db.close();
  done({ ms, batches, bytes });
} else if (step === "import") {
  const replica = await services("request");
  for (const name of (await readdir(join(dir, "files"))).sort()) await replica.batches.put("inbox", name, await readFile(join(dir, "files", name)));
  const t = performance.now();
  const out = (await transferImport(replica)) as Record<string, number> | undefined;
  const ms = performance.now() - t;
  const [{ n }] = await replica.db.orm.select({ n: count() }).from(users).all();
  if (!out || out.applied !== out.files || n !== N) throw new Error(`import: expected ${N} users applied, got ${n} users and ${JSON.stringify(out)}`);
  await replica.db.close();
  done({ ms, files: out.files });
} else if (step === "idle") {
  const replica = await services("request");
  await replica.db.close();
  done({ ms: 0 });
} else {
  const db = new Database(join(dir, "proxy.db"));
  for (const m of await readMigrations()) for (const sql of migrationStatements(m)) db.exec(sql);
  const rows = Array.from({ length: N }, (_, i) => user(i));
  const insert = db.prepare(
    "INSERT INTO users (id, email, email_normalized, name, role, status, password_hash, rate_limits, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
  );
  const t = performance.now();
  db.transaction(() => {
    for (const u of rows) insert.run(u.id, u.email, u.emailNormalized, u.name, u.role, u.status, u.passwordHash, u.rateLimits, u.version, u.createdAt, u.updatedAt);
  })();
  const ms = performance.now() - t;
  const { n } = db.prepare("SELECT count(*) AS n FROM users").get() as { n: number };
  if (n !== N) throw new Error(`proxy: ${n} rows`);
  db.close();
  done({ ms });
}
