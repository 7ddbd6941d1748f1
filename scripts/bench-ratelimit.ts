/**
 * Latency the rate limiter adds to one authenticated request, on Node, through the whole app
 * (app.request: request id, access log, auth with a JWT and its database checks, the limiter,
 * a trivial handler). Three apps that differ only in `services.limiter`:
 *
 *   none     a limiter that allows everything and counts nothing (the middleware still runs)
 *   memory   the in-process sliding window
 *   redis    @upstash/ratelimit through the Upstash-compatible endpoint (its own process)
 *            in front of a local redis-server: the enclave's set-up
 *
 * Requests are sequential (latency, not throughput); the variants are interleaved in rounds so
 * machine noise hits them alike, and each figure is the median over the rounds.
 *
 *   npx tsx scripts/bench-ratelimit.ts                 # 2,000 requests per variant and round, 3 rounds
 *   npx tsx scripts/bench-ratelimit.ts --requests=5000 --rounds=5
 *
 * Needs redis-server on PATH (or REDIS_URL / a Redis on 127.0.0.1:6379). Results go in
 * docs/benchmarks.md ("Rate limiting").
 */
import process from "node:process";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { createApp } from "../src/app.ts";
import { buildOnPremServices } from "../src/runtime/node/services.ts";
import { nodeRuntime } from "../src/runtime/node-server.ts";
import type { Services } from "../src/services.ts";
import type { Logger } from "../src/deps/logger.ts";
import { ANY_KEY } from "../src/identity/scopes.ts";
import { allow } from "../src/middleware/auth.ts";
import { ANY_ROLE } from "../src/identity/roles.ts";
import { users } from "../schema/index.ts";
import { newCounters, type RateLimiter } from "../src/deps/ratelimit/ratelimit.ts";
import { deleteKeysWithPrefix, getRedisUrl } from "../test/helpers/redis.ts";

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const REQUESTS = Number(opt("requests") ?? 2000);
const ROUNDS = Number(opt("rounds") ?? 3);
const WARMUP = Number(opt("warmup") ?? 200);

const quiet: Logger = { log() {} };

/** Allows everything, counts nothing: the "without" baseline. */
const noLimiter: RateLimiter = {
  kind: "memory",
  counters: newCounters(),
  async limit() {
    return { allowed: true, windows: [] };
  },
  async peek() {
    return [];
  },
  async reset() {},
  lockouts: { get: async () => null, lock: async () => ({ until: 0, level: 0 }), clear: async () => {} },
};

/** The Upstash-compatible endpoint in a process of its own, so its CPU is not on our event loop. */
async function startEndpoint(redisUrl: string): Promise<{ url: string; token: string; stop(): void }> {
  const token = randomBytes(24).toString("base64url");
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/upstash-endpoint.ts"], {
    env: { ...process.env, UPSTASH_ENDPOINT_TOKEN: token, REDIS_URL: redisUrl, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      try {
        const m = JSON.parse(line) as { msg?: string; url?: string };
        if (m.msg === "listening" && m.url) resolve(m.url);
      } catch {
        // not a log line
      }
    });
    child.once("exit", (code) => reject(new Error(`upstash endpoint exited (${code})`)));
  });
  return { url, token, stop: () => child.kill("SIGTERM") };
}

async function variant(name: string, env: Record<string, string>, dir: string, limiter?: RateLimiter) {
  const config = loadConfig({
    NETWORK_ROLE: "request",
    AIRLOCK_NETWORK_ID: `bench-${name}-${randomBytes(3).toString("hex")}`,
    AIRLOCK_JWT_SECRET: randomBytes(32).toString("hex"),
    AIRLOCK_DATA_DIR: join(dir, name),
    // Never the limit that answers: we measure the cost of asking.
    AIRLOCK_RATE_LIMITS: JSON.stringify({ user: { minute: 1e9, hour: 1e9, day: 1e9 } }),
    AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "2000",
    ...env,
  });
  const built = await buildOnPremServices(config, { runtime: nodeRuntime(), logger: quiet });
  const services: Services = limiter ? { ...built, limiter } : built;
  const app = createApp(services);
  app.get("/bench", allow({ roles: ANY_ROLE, scope: ANY_KEY }), (c) => c.json({ ok: true }));
  const now = new Date().toISOString();
  const id = `usr_bench${randomBytes(6).toString("hex")}`;
  await services.db.orm.insert(users).values({
    id,
    email: `${id}@example.com`,
    emailNormalized: `${id}@example.com`,
    name: "bench",
    role: "user",
    status: "active",
    passwordHash: "x",
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  const token = await services.tokens.issue({ sub: id, role: "user", sid: `fam_${id}` }, new Date());
  const headers = { Authorization: `Bearer ${token}` };
  const once = async () => {
    const res = await app.request("/bench", { headers }, {});
    if (res.status !== 200) throw new Error(`${name}: status ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const direct = () =>
    services.limiter.limit(id, [
      { name: "minute", limit: 1e9, seconds: 60 },
      { name: "hour", limit: 1e9, seconds: 3600 },
      { name: "day", limit: 1e9, seconds: 86400 },
    ]);
  return { name, services, once, direct, config };
}

async function time(fn: () => Promise<unknown>, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

function pct(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(2));

const redis = await getRedisUrl();
const endpoint = await startEndpoint(redis.url);
const dir = await mkdtemp(join(tmpdir(), "airlock-bench-rl-"));
try {
  const variants = [
    await variant("none", {}, dir, noLimiter),
    await variant("memory", {}, dir),
    await variant("redis", { UPSTASH_REDIS_REST_URL: endpoint.url, UPSTASH_REDIS_REST_TOKEN: endpoint.token }, dir),
  ];
  for (const v of variants) {
    await time(v.once, WARMUP);
    await time(v.direct, WARMUP);
  }
  const results = new Map<string, { app: { p50: number[]; p99: number[]; mean: number[] }; direct: { p50: number[]; p99: number[] } }>();
  for (const v of variants) results.set(v.name, { app: { p50: [], p99: [], mean: [] }, direct: { p50: [], p99: [] } });
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of variants) {
      const a = (await time(v.once, REQUESTS)).sort((x, y) => x - y);
      const d = (await time(v.direct, REQUESTS)).sort((x, y) => x - y);
      const out = results.get(v.name)!;
      out.app.p50.push(pct(a, 50));
      out.app.p99.push(pct(a, 99));
      out.app.mean.push(a.reduce((s, x) => s + x, 0) / a.length);
      out.direct.p50.push(pct(d, 50));
      out.direct.p99.push(pct(d, 99));
    }
  }
  const base = results.get("none")!;
  const baseP50 = median(base.app.p50);
  const baseP99 = median(base.app.p99);
  console.log(
    `\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  console.log(`${REQUESTS} sequential requests per variant and round, ${ROUNDS} rounds (medians of the rounds), ${WARMUP} warm-up\n`);
  console.log("| Limiter | request p50 ms | request p99 ms | added p50 ms | added p99 ms | limiter call alone p50 ms | p99 ms |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const v of variants) {
    const r = results.get(v.name)!;
    const p50 = median(r.app.p50);
    const p99 = median(r.app.p99);
    const label = v.name === "none" ? "none (allows all, counts nothing)" : v.name === "memory" ? "memory" : "Redis via Upstash-compatible endpoint";
    console.log(
      `| ${label} | ${f(p50)} | ${f(p99)} | ${v.name === "none" ? "–" : f(p50 - baseP50)} | ${v.name === "none" ? "–" : f(p99 - baseP99)} | ${v.name === "none" ? "–" : f(median(r.direct.p50))} | ${v.name === "none" ? "–" : f(median(r.direct.p99))} |`,
    );
  }
  for (const v of variants) {
    if (v.name === "redis") await deleteKeysWithPrefix(redis.url, `airlock:${v.config.networkId}:`);
    await v.services.db.close();
  }
} finally {
  endpoint.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
