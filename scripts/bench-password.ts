/**
 * Cost of ONE password verification on Node, inside real workerd (miniflare),
 * and on Deno: PBKDF2-SHA256 at the default iterations and a legacy bcrypt
 * cost-10 hash. Also asks workerd for 100,001 iterations (the Cloudflare cap).
 *
 *   npx tsx scripts/bench-password.ts            # all runtimes, markdown table
 *   npx tsx scripts/bench-password.ts --runs=50
 *   node_modules/.bin/deno run --node-modules-dir=manual -A scripts/bench-password.ts --deno-only
 *
 * Results go in docs/benchmarks.md ("Password hashing").
 */
import process from "node:process";
import bcrypt from "bcryptjs";
import { PBKDF2_DEFAULT_ITERATIONS, hashPassword, verifyPassword } from "../src/identity/password.ts";

const PASSWORD = "correct horse battery staple";
const BCRYPT_COST = 10;
const CAP_PROBE = 100_001;

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const RUNS = Number(opt("runs") ?? 20);
const WARMUP = Number(opt("warmup") ?? 3);

// The one timing loop, kept as JS source so the identical code runs in-process
// (Node, Deno) and inside the workerd bundle.
const SAMPLE_SRC = `async function sample(fn, runs, warmup) {
  for (let i = 0; i < warmup; i++) await fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms;
}`;
type Sample = (fn: () => Promise<unknown>, runs: number, warmup: number) => Promise<number[]>;
const sample = new Function(`return (${SAMPLE_SRC})`)() as Sample;

interface Inputs {
  pbkdf2: string;
  bcrypt: string;
}
interface Row {
  runtime: string;
  op: string;
  ms: number[];
  note?: string;
}

const isDeno = "Deno" in globalThis;
const runtimeName = isDeno ? `Deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno}` : `Node ${process.version}`;

async function verifyOk(stored: string): Promise<void> {
  const r = await verifyPassword(PASSWORD, stored);
  if (!r.ok) throw new Error(`verification failed for ${stored.slice(0, 16)}…`);
}

async function inProcess(inputs: Inputs): Promise<Row[]> {
  return [
    { runtime: runtimeName, op: `PBKDF2-SHA256 verify, ${PBKDF2_DEFAULT_ITERATIONS} it`, ms: await sample(() => verifyOk(inputs.pbkdf2), RUNS, WARMUP) },
    { runtime: runtimeName, op: `bcrypt verify (bcryptjs), cost ${BCRYPT_COST}`, ms: await sample(() => verifyOk(inputs.bcrypt), RUNS, WARMUP) },
  ];
}

// Worker run inside workerd. Bundled by esbuild with src/identity/password.ts and bcryptjs.
function workerSource(passwordModule: string): string {
  return `
import bcrypt from "bcryptjs";
import { hashPassword, verifyPassword } from ${JSON.stringify(passwordModule)};
${SAMPLE_SRC}
async function verifyOk(password, stored) {
  const r = await verifyPassword(password, stored);
  if (!r.ok) throw new Error("verification failed");
}
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.json() : {};
    try {
      if (url.pathname === "/selftest") {
        // Random-dependent paths (salt, bcrypt salt) and whether the clock moves during sync work.
        const stored = await hashPassword(body.password, { iterations: 1000 });
        const legacy = bcrypt.hashSync(body.password, 4);
        const t0 = performance.now();
        let x = 0;
        for (let i = 0; i < 2e7; i++) x += i;
        const syncLoopMs = performance.now() - t0;
        return Response.json({
          pbkdf2: await verifyPassword(body.password, stored),
          bcryptHashedInWorkerd: await verifyPassword(body.password, legacy),
          syncLoopMs,
          x,
        });
      }
      if (url.pathname === "/sample") {
        const ms = await sample(() => verifyOk(body.password, body.stored), body.runs, body.warmup);
        return Response.json({ ms });
      }
      if (url.pathname === "/loop") {
        for (let i = 0; i < body.n; i++) await verifyOk(body.password, body.stored);
        return Response.json({ n: body.n });
      }
      if (url.pathname === "/iterations") {
        const t0 = performance.now();
        try {
          const stored = await hashPassword(body.password, { iterations: body.iterations });
          return Response.json({ ok: true, ms: performance.now() - t0, verified: await verifyPassword(body.password, stored) });
        } catch (e) {
          return Response.json({ ok: false, name: e?.name, message: e?.message });
        }
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};`;
}

async function inWorkerd(inputs: Inputs): Promise<{ rows: Row[]; notes: string[] }> {
  const { build } = await import("esbuild");
  const { Miniflare } = await import("miniflare");
  const { fileURLToPath } = await import("node:url");
  const root = fileURLToPath(new URL("..", import.meta.url));
  const bundle = await build({
    stdin: { contents: workerSource("./src/identity/password.ts"), resolveDir: root, loader: "js", sourcefile: "bench-worker.js" },
    bundle: true,
    format: "esm",
    // "browser" honours bcryptjs's `"browser": { "crypto": false }`, as wrangler's bundler does.
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0].text;
  const mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-05-01" });
  const call = async (path: string, body: unknown) => {
    const res = await mf.dispatchFetch(`http://bench${path}`, { method: "POST", body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`workerd ${path}: ${String(json.error)}`);
    return json;
  };
  try {
    const notes: string[] = [];
    const self = await call("/selftest", { password: PASSWORD });
    const selfOk = (self.pbkdf2 as { ok: boolean }).ok && (self.bcryptHashedInWorkerd as { ok: boolean }).ok;
    notes.push(`workerd self-test (hash + verify PBKDF2, bcryptjs hashSync + verify): ${selfOk ? "ok" : "FAILED"}`);
    notes.push(
      `workerd clock during a synchronous loop: ${(self.syncLoopMs as number).toFixed(1)} ms elapsed (${(self.syncLoopMs as number) > 0 ? "advances locally" : "frozen"})`,
    );

    const rows: Row[] = [];
    const label = "workerd (miniflare)";
    for (const [op, stored] of [
      [`PBKDF2-SHA256 verify, ${PBKDF2_DEFAULT_ITERATIONS} it`, inputs.pbkdf2],
      [`bcrypt verify (bcryptjs), cost ${BCRYPT_COST}`, inputs.bcrypt],
    ] as const) {
      const inside = await call("/sample", { password: PASSWORD, stored, runs: RUNS, warmup: WARMUP });
      rows.push({ runtime: label, op, ms: inside.ms as number[], note: "timed inside the worker" });
      // Cross-check from outside: wall time of HTTP round trips, each doing a batch, divided by the batch size.
      const batch = 5;
      const outside = await sample(() => call("/loop", { password: PASSWORD, stored, n: batch }), RUNS, 1);
      rows.push({ runtime: label, op, ms: outside.map((t) => t / batch), note: `timed from Node: round trip of ${batch} / ${batch}` });
    }

    const cap = await call("/iterations", { password: PASSWORD, iterations: CAP_PROBE });
    notes.push(
      cap.ok
        ? `workerd at ${CAP_PROBE} iterations: ACCEPTED (${(cap.ms as number).toFixed(1)} ms, verifies: ${(cap.verified as { ok: boolean }).ok}) — local workerd does not enforce the production cap`
        : `workerd at ${CAP_PROBE} iterations: ${String(cap.name)}: ${String(cap.message)}`,
    );
    return { rows, notes };
  } finally {
    await mf.dispose();
  }
}

async function inDeno(inputs: Inputs): Promise<Row[] | string> {
  const { execFile } = await import("node:child_process");
  const { existsSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  const root = fileURLToPath(new URL("..", import.meta.url));
  const deno = `${root}node_modules/.bin/deno`;
  if (!existsSync(deno)) return "Deno skipped: node_modules/.bin/deno not found";
  const argv = [
    "run",
    "--node-modules-dir=manual",
    "-A",
    "scripts/bench-password.ts",
    "--deno-only",
    "--json",
    `--runs=${RUNS}`,
    `--warmup=${WARMUP}`,
    `--inputs=${JSON.stringify(inputs)}`,
  ];
  return new Promise((resolve) => {
    execFile(deno, argv, { cwd: root, timeout: 300_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err)
        resolve(
          `Deno failed: ${
            String(stderr || err.message)
              .trim()
              .split("\n")[0]
          }`,
        );
      else resolve((JSON.parse(stdout) as { rows: Row[] }).rows);
    });
  });
}

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, p95: pick(0.95) };
}

function table(rows: Row[]): string {
  const lines = ["| Runtime | Operation | median ms | p95 ms | runs | How timed |", "| --- | --- | ---: | ---: | ---: | --- |"];
  for (const r of rows) {
    const { median, p95 } = stats(r.ms);
    lines.push(`| ${r.runtime} | ${r.op} | ${median.toFixed(1)} | ${p95.toFixed(1)} | ${r.ms.length} | ${r.note ?? "performance.now() in-process"} |`);
  }
  return lines.join("\n");
}

async function main() {
  const given = opt("inputs");
  const inputs: Inputs = given ? (JSON.parse(given) as Inputs) : { pbkdf2: await hashPassword(PASSWORD), bcrypt: bcrypt.hashSync(PASSWORD, BCRYPT_COST) };

  if (flag("deno-only")) {
    const rows = await inProcess(inputs);
    console.log(flag("json") ? JSON.stringify({ rows }) : table(rows));
    return;
  }

  const rows = await inProcess(inputs);
  const notes: string[] = [];
  const w = await inWorkerd(inputs);
  rows.push(...w.rows);
  notes.push(...w.notes);
  if (!flag("no-deno")) {
    const d = await inDeno(inputs);
    if (typeof d === "string") notes.push(d);
    else rows.push(...d);
  }
  const cpus = (await import("node:os")).cpus();
  console.log(`Machine: ${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}; ${RUNS} runs after ${WARMUP} warm-up\n`);
  console.log(table(rows));
  console.log(`\n${notes.map((n) => `- ${n}`).join("\n")}`);
}

await main();
