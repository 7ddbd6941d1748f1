// `npm run bench`: every performance case side by side in one run, printed and written into the
// generated section of docs/benchmarks.md (both from one result object).
//   npm run bench                       full run (~6 min on 2 cores)
//   npm run bench -- --quick            short runs, small record counts (a smoke test, ~1.5 min)
//   npm run bench -- --out=PATH         write that file instead of docs/benchmarks.md
//   npm run bench -- --only=ceiling,read-node   those cases only (prints; writes only with --out)
//   npm run bench -- --note="..."       a sentence about the machine, written beside its figures
//   npm run bench -- --connections=1   autocannon's connections (default 10, as the targets assume)
//   npm run bench -- --keep-logs        keep the servers' logs (kept anyway when a case fails)
// Every server it starts listens on 127.0.0.1 and is stopped at the end, on failure and on Ctrl-C.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir, totalmem, type } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ceiling } from "./cases/ceiling.ts";
import { readDeno } from "./cases/read-deno.ts";
import { readNode } from "./cases/read-node.ts";
import { readRedis } from "./cases/read-redis.ts";
import { degraded } from "./cases/degraded.ts";
import { fastapi, pythonPeer } from "./cases/fastapi.ts";
import { transfer } from "./cases/transfer.ts";
import { workersBundle } from "./cases/workers-bundle.ts";
import { disposeMiniflares, workersColdStart } from "./cases/workers-cold-start.ts";
import { list } from "./cases/list.ts";
import { login } from "./cases/login.ts";
import { submit } from "./cases/submit.ts";
import { type Case, type Ctx, Skip, sharedRegistry } from "./lib/context.ts";
import { killAllSync, stopAll } from "./lib/procs.ts";
import { redisAvailable } from "./lib/redis.ts";
import { markdownSection, textReport, updateDoc } from "./report.ts";
import { type BenchResult, emptyResult } from "./result.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** In the order they run: servers that several cases share are started once and stopped after their last user. */
export const CASES: Case[] = [ceiling, fastapi, readNode, submit, list, login, readDeno, readRedis, degraded, transfer, workersBundle, workersColdStart];

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = args.includes("--quick");
const only = opt("only")?.split(",").filter(Boolean);
const out = opt("out") ?? (only ? undefined : join(ROOT, "docs/benchmarks.md"));
const unknown = only?.filter((id) => !CASES.some((c) => c.id === id));
const connections = Number(opt("connections") ?? 10);
if (!Number.isInteger(connections) || connections < 1 || connections > 1000) {
  console.error("--connections: a whole number from 1 to 1000");
  process.exit(2);
}
if (unknown?.length) {
  console.error(`unknown case(s): ${unknown.join(", ")}; cases: ${CASES.map((c) => c.id).join(", ")}`);
  process.exit(2);
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function denoVersion(): string {
  try {
    return execFileSync(join(ROOT, "node_modules/.bin/deno"), ["--version"], { encoding: "utf8", timeout: 15_000 }).match(/deno (\S+)/)?.[1] ?? "?";
  } catch {
    return "missing";
  }
}

function versions(): Record<string, string> {
  const peer = pythonPeer();
  return {
    Node: process.version,
    Deno: denoVersion(),
    ...("versions" in peer
      ? { Python: peer.versions.python, FastAPI: peer.versions.fastapi, uvicorn: peer.versions.uvicorn, "redis-py": peer.versions["redis-py"] }
      : { Python: "missing" }),
    "redis-server": redisAvailable() ?? "missing",
    hono: pkgVersion("hono"),
    "@hono/node-server": pkgVersion("@hono/node-server"),
    autocannon: pkgVersion("autocannon"),
    "@libsql/client": pkgVersion("@libsql/client"),
    libsql: pkgVersion("libsql"),
    wrangler: pkgVersion("wrangler"),
    miniflare: pkgVersion("miniflare"),
    workerd: pkgVersion("workerd"),
  };
}

export async function runBench(): Promise<{ result: BenchResult; failed: number }> {
  const started = performance.now();
  const result = emptyResult();
  result.quick = quick;
  result.settings = {
    connections,
    warmupS: quick ? 0.5 : 2,
    durationS: quick ? 1.5 : 8,
    records: quick ? [1_000, 2_000] : [10_000, 100_000],
    coldStarts: quick ? 2 : 5,
    degradedFromS: 1,
  };
  const [cpu] = cpus();
  result.machine = {
    cpus: cpus().length,
    model: cpu?.model.trim() ?? "?",
    memGiB: totalmem() / 1024 ** 3,
    os: `${type()} ${release()}`,
    loadBefore: loadavg(),
    loadAfter: [],
    note: opt("note") ?? "",
  };
  result.versions = versions();
  const tmp = await mkdtemp(join(tmpdir(), "airlock-bench-"));
  const logDir = join(tmp, "logs");
  await mkdir(logDir);
  const registry = sharedRegistry();
  const ctx: Ctx = {
    root: ROOT,
    tmp,
    logDir,
    quick,
    connections: result.settings.connections,
    warmupS: result.settings.warmupS,
    durationS: result.settings.durationS,
    records: result.settings.records,
    coldStarts: result.settings.coldStarts,
    result,
    log: (msg) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}`),
    shared: registry.shared,
    release: (key) => registry.release(key),
  };
  const cases = CASES.filter((c) => !only || only.includes(c.id));
  let failed = 0;
  try {
    for (const [i, c] of cases.entries()) {
      try {
        await c.run(ctx);
      } catch (e) {
        const skip = e instanceof Skip;
        if (!skip) failed++;
        const reason = e instanceof Error ? e.message.split("\n")[0].slice(0, 300) : String(e);
        result.skipped.push({ id: c.id, label: c.label, reason: skip ? `skipped: ${reason}` : `failed: ${reason}` });
        ctx.log(`${c.label}: ${skip ? "SKIPPED" : "FAILED"}: ${skip ? reason : e instanceof Error ? e.stack : e}`);
      }
      const later = new Set(cases.slice(i + 1).flatMap((x) => x.uses));
      for (const key of c.uses) if (!later.has(key)) await ctx.release(key);
    }
  } finally {
    await registry.releaseAll();
    await stopAll();
    await disposeMiniflares();
    if (failed || args.includes("--keep-logs")) console.log(`logs of the servers and steps: ${logDir}`);
    else await rm(tmp, { recursive: true, force: true });
  }
  result.machine.loadAfter = loadavg();
  result.elapsedS = (performance.now() - started) / 1000;
  return { result, failed };
}

let interrupted = false;
const interrupt = (sig: string) => {
  if (interrupted) return;
  interrupted = true;
  console.error(`\n${sig}: stopping every server the bench started`);
  const force = setTimeout(() => {
    killAllSync();
    process.exit(130);
  }, 8_000);
  Promise.all([stopAll(), disposeMiniflares()]).finally(() => {
    clearTimeout(force);
    process.exit(130);
  });
};
process.on("SIGINT", () => interrupt("SIGINT"));
process.on("SIGTERM", () => interrupt("SIGTERM"));
process.once("exit", killAllSync);

const { result, failed } = await runBench();
console.log(`\n${textReport(result)}`);
if (out) {
  const before = await readFile(out, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(out, updateDoc(before, markdownSection(result)));
  console.log(`written: ${out}`);
}
process.exit(failed ? 1 : 0);
