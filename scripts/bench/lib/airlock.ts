// Airlock's request network for the HTTP cases: a libSQL file seeded with one user (high
// per-user quotas), an API key and an answered request, then the server as its own process:
// Node as `npm run start:node` runs it (tsx, src/runtime/node.ts), or Deno as `npm run start:deno`.
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { apiKeys, requests, responses, users } from "../../../schema/index.ts";
import { loadConfig } from "../../../src/config.ts";
import { MemoryLogger } from "../../../src/deps/logger.ts";
import { hashPassword } from "../../../src/identity/password.ts";
import { randomToken, sha256Hex } from "../../../src/lib/crypto.ts";
import { newId } from "../../../src/lib/ids.ts";
import { nodeRuntime } from "../../../src/runtime/node-server.ts";
import { buildOnPremServices } from "../../../src/runtime/node/services.ts";
import type { Ctx } from "./context.ts";
import { measureHttp } from "./measure.ts";
import { type Child, freePort, startChild, waitForHttp } from "./procs.ts";

/** Quotas so high the bench measures the path, not the 429s (the limiter still counts every request). */
export const BENCH_USER_LIMITS = { minute: 1_000_000_000, hour: 1_000_000_000, day: 1_000_000_000 };
/** Logins are limited per address and per account by settings, not per user. */
export const BENCH_RATE_LIMITS = JSON.stringify({ login_ip: BENCH_USER_LIMITS, login_account: BENCH_USER_LIMITS });

export interface Seeded {
  userId: string;
  email: string;
  password: string;
  apiKey: string;
  requestId: string;
}

export interface AirlockServer extends Seeded {
  url: string;
  child: Child;
}

/** The environment of a bench network: nothing inherited but PATH and HOME (no stray UPSTASH_* settings). */
export function networkEnv(dataDir: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    NETWORK_ROLE: "request",
    AIRLOCK_DATA_DIR: dataDir,
    AIRLOCK_JWT_SECRET: randomBytes(32).toString("base64url"),
    AIRLOCK_RATE_LIMITS: BENCH_RATE_LIMITS,
    HOST: "127.0.0.1",
    PORT: String(port),
    ...extra,
  };
}

// A typical answer: a few fields and a small table, about half a kilobyte of JSON.
const ANSWER = {
  summary: "Quarterly totals for the requested stations",
  rows: Array.from({ length: 8 }, (_, i) => ({ station: `ST-${100 + i}`, total: 1234.5 + i * 17, unit: "mm", complete: i % 3 !== 0 })),
};

/** Writes the bench user, key and answered request straight into the network's database (what an import leaves there). */
export async function seedNetwork(dataDir: string): Promise<Seeded> {
  await mkdir(dataDir, { recursive: true });
  const config = loadConfig({ NETWORK_ROLE: "request", AIRLOCK_DATA_DIR: dataDir, AIRLOCK_JWT_SECRET: randomBytes(32).toString("base64url") });
  const s = await buildOnPremServices(config, { runtime: nodeRuntime(), logger: new MemoryLogger() });
  try {
    const now = new Date().toISOString();
    const password = randomBytes(18).toString("base64url");
    const email = "bench@example.com";
    const userId = newId("usr");
    await s.db.orm.insert(users).values({
      id: userId,
      email,
      emailNormalized: email,
      name: "Bench",
      role: "user",
      status: "active",
      passwordHash: await hashPassword(password),
      rateLimits: JSON.stringify(BENCH_USER_LIMITS),
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    const apiKey = `ak_${randomToken(32)}`;
    await s.db.orm.insert(apiKeys).values({
      id: newId("key"),
      userId,
      name: "bench",
      prefix: apiKey.slice(0, 11),
      keyHash: await sha256Hex(apiKey),
      scopes: JSON.stringify(["requests:read", "requests:write"]),
      createdAt: now,
    });
    const requestId = newId("req");
    await s.db.orm.insert(requests).values({
      id: requestId,
      userId,
      topic: "rainfall",
      body: JSON.stringify({ q: "quarterly totals", stations: 8 }),
      status: "answered",
      createdAt: now,
      updatedAt: now,
      answeredAt: now,
      replicaVersion: 1,
      masterVersion: 3,
    });
    await s.db.orm.insert(responses).values({
      requestId,
      kind: "answer",
      body: JSON.stringify(ANSWER),
      contentType: "application/json",
      answeredBy: "usr_operator",
      answeredAt: now,
      version: 1,
      deliveredSequence: 1,
    });
    return { userId, email, password, apiKey, requestId };
  } finally {
    await s.db.close();
  }
}

/** A seeded request network on Node or Deno, listening on 127.0.0.1. */
export async function startAirlock(ctx: Ctx, name: string, runtime: "node" | "deno", extraEnv: Record<string, string> = {}): Promise<AirlockServer> {
  const dataDir = join(ctx.tmp, name);
  const seeded = await seedNetwork(dataDir);
  const port = await freePort();
  const env = networkEnv(dataDir, port, extraEnv);
  const [cmd, args] =
    runtime === "node"
      ? [process.execPath, ["--import", "tsx", "src/runtime/node.ts"]]
      : [
          join(ctx.root, "node_modules/.bin/deno"),
          ["run", "--node-modules-dir=manual", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi", "--allow-sys", "src/runtime/deno.ts"],
        ];
  const child = startChild(name, cmd, args, { env, cwd: ctx.root, logDir: ctx.logDir });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, child, 90_000);
  return { ...seeded, url, child };
}

/** The cached read's URL and headers, and a probe that proves it is a cache hit with the expected body. */
export function cachedRead(a: AirlockServer) {
  const url = `${a.url}/v1/requests/${a.requestId}/response`;
  const headers = { "x-api-key": a.apiKey };
  return {
    url,
    headers,
    async probe(): Promise<{ status: number; cache: string; body: string }> {
      const r = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
      return { status: r.status, cache: r.headers.get("x-cache") ?? "", body: await r.text() };
    },
  };
}

/** Reads until the cache answers "hit" (the first read fills it); throws with what it saw otherwise. */
export async function expectCacheHit(a: AirlockServer): Promise<string> {
  const read = cachedRead(a);
  let last = { status: 0, cache: "", body: "" };
  for (let i = 0; i < 5; i++) {
    last = await read.probe();
    if (last.status === 200 && last.cache === "hit") {
      const body = JSON.parse(last.body) as { body?: unknown };
      if (JSON.stringify(body.body) !== JSON.stringify(ANSWER)) throw new Error(`the cached read answered another body: ${last.body.slice(0, 200)}`);
      return last.body;
    }
  }
  throw new Error(`no cache hit after 5 reads: last ${last.status} X-Cache ${last.cache || "(none)"} ${last.body.slice(0, 200)}`);
}

/** The cached-read case on a running server: a hit before, the measured run, a hit after (so the run measured hits, not 429s or misses). */
export async function measureCachedRead(ctx: Ctx, c: { id: string; label: string }, server: AirlockServer): Promise<void> {
  await expectCacheHit(server);
  const { url, headers } = cachedRead(server);
  await measureHttp(ctx, c, { url, headers }, server.child);
  await expectCacheHit(server);
}
