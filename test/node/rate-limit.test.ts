import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { rateLimitSuite, T0, type UpstashTarget } from "../shared/rate-limit.suite.ts";
import { nodeApp, nodeServices } from "../helpers/node-app.ts";
import { deleteKeysWithPrefix, getRedisUrl, startPrivateRedis, startUpstashEndpoint, type RedisHandle, type UpstashEndpointHandle, type PrivateRedis } from "../helpers/redis.ts";
import { type ConfigError, loadConfig } from "../../src/config.ts";
import { TEST_ENV } from "../helpers/node-app.ts";
import { parseRateLimitOverride } from "../../src/limits/policy.ts";
import { slidingRetryAt, slidingUsed } from "../../src/deps/ratelimit/ratelimit.ts";
import { startNodeServer } from "../../src/runtime/node-server.ts";
import { tempDir } from "../helpers/node-app.ts";
import { users } from "../../schema/index.ts";

let shared: RedisHandle;
let endpoint: UpstashEndpointHandle;
let privateRedis: PrivateRedis;
let downEndpoint: UpstashEndpointHandle;
let hanging: Server;
let hangingUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  shared = await getRedisUrl();
  endpoint = await startUpstashEndpoint(shared.url);
  // A Redis of our own, stopped once the endpoint is connected: every command then fails.
  privateRedis = await startPrivateRedis();
  downEndpoint = await startUpstashEndpoint(privateRedis.url);
  await privateRedis.stop();
  // Accepts connections and never answers.
  hanging = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => hanging?.close(() => r()));
  await downEndpoint?.close();
  await privateRedis?.stop();
  await endpoint?.close();
  await shared?.stop();
});

const target = (h: UpstashEndpointHandle): UpstashTarget => ({ url: h.url, token: h.token });

rateLimitSuite({
  runtime: "node",
  app: (env, extend) => nodeApp(env, extend),
  get upstash() {
    return target(endpoint);
  },
  get downUpstash() {
    return target(downEndpoint);
  },
  get hangingUrl() {
    return hangingUrl;
  },
});

describe("rate limits: node-only checks", () => {
  it("keys live under airlock:<network id>:rl: in the library's layout", async () => {
    vi.setSystemTime(T0);
    try {
      const id = `rl-${crypto.randomUUID().slice(0, 8)}`;
      const s = await nodeServices({ AIRLOCK_NETWORK_ID: id, UPSTASH_REDIS_REST_URL: endpoint.url, UPSTASH_REDIS_REST_TOKEN: endpoint.token });
      await s.limiter.limit("usr_x", [{ name: "minute", limit: 5, seconds: 60 }]);
      await s.limiter.lockouts.lock("account:abc", { baseSeconds: 60, maxSeconds: 60, levelTtlSeconds: 600 });
      const client = createClient({ url: shared.url, RESP: 2 });
      await client.connect();
      try {
        const keys = ((await client.sendCommand(["SCAN", "0", "MATCH", `airlock:${id}:*`, "COUNT", "10000"])) as [string, string[]])[1].sort();
        const bucket = Math.floor(T0 / 60_000);
        expect(keys).toEqual([`airlock:${id}:rl:lock-level:account:abc`, `airlock:${id}:rl:lock:account:abc`, `airlock:${id}:rl:minute:usr_x:${bucket}`]);
        expect(await client.sendCommand(["GET", `airlock:${id}:rl:minute:usr_x:${bucket}`])).toBe("1");
      } finally {
        client.destroy();
        await deleteKeysWithPrefix(shared.url, `airlock:${id}:`);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it("the headers reach the client through a real Node server (@hono/node-server's lightweight Response)", async () => {
    vi.setSystemTime(T0); // the server runs in this process: no minute boundary can fall between the requests
    const srv = await startNodeServer(
      { ...TEST_ENV, NETWORK_ROLE: "request", AIRLOCK_DATA_DIR: await tempDir(), PORT: "0", AIRLOCK_RATE_LIMITS: '{"user":{"minute":2}}' },
      { scheduler: false, logger: { log() {} } },
    );
    try {
      const s = srv.services;
      const now = s.clock.now().toISOString();
      await s.db.orm.insert(users).values({
        id: "usr_srv",
        email: "srv@example.com",
        emailNormalized: "srv@example.com",
        name: "s",
        role: "user",
        status: "active",
        passwordHash: "x",
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
      const auth = { Authorization: `Bearer ${await s.tokens.issue({ sub: "usr_srv", role: "user", sid: "fam_srv" }, s.clock.now())}` };
      const ok = await fetch(`${srv.url}/v1/me`, { headers: auth });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-policy")).toBe('"minute";q=2;w=60, "hour";q=1000;w=3600, "day";q=10000;w=86400');
      expect(ok.headers.get("ratelimit")).toBe('"minute";r=1;t=30');
      await ok.arrayBuffer();
      const warn = await fetch(`${srv.url}/v1/nope`, { headers: auth });
      expect(warn.status).toBe(404);
      expect(warn.headers.get("ratelimit-warning")).toBe('"minute";r=0;t=30');
      await warn.arrayBuffer();
      const refused = await fetch(`${srv.url}/v1/me`, { headers: auth });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("31");
      expect(refused.headers.get("ratelimit")).toBe('"minute";r=0;t=31');
      await refused.arrayBuffer();
    } finally {
      await srv.close();
      vi.useRealTimers();
    }
  });

  it("AIRLOCK_RATE_LIMITS and friends are validated and named in errors", () => {
    const base = { ...TEST_ENV, NETWORK_ROLE: "request" };
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ AIRLOCK_RATE_LIMITS: "{nope" })).toEqual(['AIRLOCK_RATE_LIMITS: expected JSON like {"user":{"minute":60,"hour":1000,"day":10000}} (got "{nope")']);
    expect(problems({ AIRLOCK_RATE_LIMITS: '{"user":{"minute":-1,"week":3},"robot":{}}' })).toEqual([
      'AIRLOCK_RATE_LIMITS: user.minute: must be 0 or more; user: unknown key "week"; unknown key "robot" (roles: admin, operator, courier, user; also login_ip, login_account) (got "{"user":{"minute":-1,"week":3},"robot":{}}")',
    ]);
    expect(problems({ AIRLOCK_RATE_LIMIT_ON_ERROR: "maybe" })).toEqual(['AIRLOCK_RATE_LIMIT_ON_ERROR: expected "open" or "closed" (got "maybe")']);
    expect(problems({ AIRLOCK_RATE_LIMIT_WARN_PERCENT: "120" })).toEqual(['AIRLOCK_RATE_LIMIT_WARN_PERCENT: expected 1 to 100 (got "120")']);
    expect(problems({ AIRLOCK_LOGIN_LOCKOUT_SECONDS: "600", AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS: "60" })).toEqual([
      'AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS: must be at least AIRLOCK_LOGIN_LOCKOUT_SECONDS (got "60")',
    ]);

    const c = loadConfig({ ...base, AIRLOCK_RATE_LIMITS: '{"user":{"minute":5}}' });
    expect(c.rateLimits).toEqual({
      policies: {
        user: { minute: 5, hour: 1000, day: 10000 },
        operator: { minute: 120, hour: 3000, day: 30000 },
        admin: { minute: 120, hour: 3000, day: 30000 },
        courier: { minute: 1000, hour: 30000, day: 300000 },
        login_ip: { minute: 20, hour: 200, day: 1000 },
        login_account: { minute: 10, hour: 50, day: 200 },
      },
      warnPercent: 80,
      onError: "open",
      loginOnError: "closed",
      timeoutMs: 200,
      login: { maxFailures: 5, lockoutSeconds: 60, lockoutMaxSeconds: 3600, ipv6Prefix: 64 },
    });
  });

  it("parseRateLimitOverride accepts {minute?, hour?, day?} (or one per role) and rejects the rest", () => {
    expect(parseRateLimitOverride(null)).toBeNull();
    expect(parseRateLimitOverride('{"minute":5}')).toEqual({ minute: 5 });
    expect(parseRateLimitOverride({ hour: 0, day: 9 })).toEqual({ hour: 0, day: 9 });
    expect(parseRateLimitOverride({ default: { minute: 1 }, admin: { minute: 2 } }, "admin")).toEqual({ minute: 2 });
    expect(parseRateLimitOverride({ default: { minute: 1 }, admin: { minute: 2 } }, "user")).toEqual({ minute: 1 });
    expect(() => parseRateLimitOverride({ minute: 1.5 })).toThrow("minute: expected a whole number of requests");
    expect(() => parseRateLimitOverride({ minute: 1, week: 2 })).toThrow('unknown key "week"');
  });

  it("the sliding-window arithmetic: retry time is the first instant used < limit", () => {
    const W = 60;
    for (const [limit, cur, prev] of [
      [10, 10, 0],
      [10, 4, 10],
      [10, 9, 37],
      [7, 7, 7],
      [3, 0, 5],
      [100, 99, 1000],
    ]) {
      const bucket = 1000;
      const at = slidingRetryAt(limit, W, bucket, cur, prev)!;
      const inBucket = (t: number) => (t < (bucket + 1) * W * 1000 ? [cur, prev] : [0, cur]);
      const used = (t: number) => slidingUsed(t, W, inBucket(t)[0], inBucket(t)[1]);
      expect(used(at)).toBeLessThan(limit);
      if (at > bucket * W * 1000) expect(used(at - 1)).toBeGreaterThanOrEqual(limit);
    }
    expect(slidingRetryAt(0, 60, 1, 0, 0)).toBeNull();
  });
});
