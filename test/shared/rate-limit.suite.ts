// Rate limits with grace, run on Node and inside workerd, against the memory limiter and
// against real Redis through the Upstash-compatible endpoint. Time is pinned with
// vi.setSystemTime (Date only; timers stay real), so the sliding window's arithmetic and every
// header value are exact. Each test gets its own network id, so its Redis keys
// (`airlock:<network id>:rl:…`) are its own; they are deleted afterwards (never FLUSH).
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRoute, z } from "@hono/zod-openapi";
import { Redis } from "@upstash/redis";
import { desc, eq } from "drizzle-orm";
import type { AirlockApp } from "../../src/app.ts";
import type { Services } from "../../src/services.ts";
import { ANY_ROLE, type Role } from "../../src/identity/roles.ts";
import type { MemoryLogger } from "../../src/deps/logger.ts";
import { apiKeys, auditLog, users } from "../../schema/index.ts";
import { ANY_KEY } from "../../src/identity/scopes.ts";
import { allow } from "../../src/middleware/auth.ts";
import { LoginGuard } from "../../src/limits/lockouts.ts";
import { sha256Hex } from "../../src/lib/crypto.ts";
import { hashPassword } from "../../src/identity/password.ts";
import { PROBLEM_TYPE } from "./harness.ts";

export interface UpstashTarget {
  url: string;
  token: string;
}

export interface RateLimitHarness {
  runtime: "node" | "workerd";
  /** A fresh app over this runtime's services with these settings added; `extend` adds test routes. */
  app(env: Record<string, string>, extend?: (app: AirlockApp) => void): Promise<{ app: AirlockApp; services: Services }>;
  /** The Upstash-compatible endpoint in front of the shared Redis. */
  upstash: UpstashTarget;
  /** An endpoint whose Redis has been stopped: every command fails. */
  downUpstash: UpstashTarget;
  /** A server that accepts connections and never answers: every command times out. */
  hangingUrl: string;
}

/** 2031-01-01T00:00:30Z: 30 s into a minute, an hour and a day. */
export const T0 = Date.UTC(2031, 0, 1, 0, 0, 30);

const LIMITS = JSON.stringify({ user: { minute: 10, hour: 100, day: 1000 }, admin: { minute: 1000, hour: 10000, day: 100000 } });
const POLICY = '"minute";q=10;w=60, "hour";q=100;w=3600, "day";q=1000;w=86400';

function limitedRoute(app: AirlockApp) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/__test/limited",
      middleware: [allow({ roles: ANY_ROLE, scope: ANY_KEY })],
      responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } } },
    }),
    (c) => c.json({ ok: true }, 200),
  );
  app.get("/__test/admin-only", allow({ roles: ["admin"], scope: ANY_KEY }), (c) => c.json({ ok: true }));
}

async function seed(s: Services, o: { role?: Role; rateLimits?: unknown; email?: string; password?: string } = {}) {
  const id = `usr_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;
  const now = s.clock.now().toISOString();
  const email = o.email ?? `${id}@example.com`;
  await s.db.orm.insert(users).values({
    id,
    email,
    emailNormalized: email.toLowerCase(),
    name: "Rate Limited",
    role: o.role ?? "user",
    status: "active",
    passwordHash: o.password ? await hashPassword(o.password, { iterations: 1000 }) : "pbkdf2-sha256$1000$AAAA$AAAA",
    rateLimits: o.rateLimits === undefined ? null : JSON.stringify(o.rateLimits),
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  // Any sid works: the auth middleware only checks that no refresh token of that family is revoked.
  const token = await s.tokens.issue({ sub: id, role: o.role ?? "user", sid: `fam_${crypto.randomUUID()}` }, s.clock.now());
  return { id, email, auth: { Authorization: `Bearer ${token}` } };
}

async function seedKey(s: Services, userId: string, rateLimits: unknown) {
  const key = `ak_${crypto.randomUUID().replace(/-/g, "")}${crypto.randomUUID().replace(/-/g, "")}`;
  const id = `key_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;
  await s.db.orm.insert(apiKeys).values({
    id,
    userId,
    name: "k",
    prefix: key.slice(0, 11),
    keyHash: await sha256Hex(key),
    scopes: "[]",
    rateLimits: rateLimits === null ? null : JSON.stringify(rateLimits),
    createdAt: s.clock.now().toISOString(),
  });
  return { id, auth: { "X-API-Key": key } };
}

const headersOf = (res: Response) => ({
  ratelimit: res.headers.get("ratelimit"),
  policy: res.headers.get("ratelimit-policy"),
  warning: res.headers.get("ratelimit-warning"),
  retryAfter: res.headers.get("retry-after"),
});

export function rateLimitSuite(h: RateLimitHarness) {
  const networks: Array<{ id: string; upstash?: UpstashTarget }> = [];

  afterEach(async () => {
    vi.useRealTimers();
    for (const n of networks.splice(0)) {
      if (!n.upstash) continue;
      const redis = new Redis({ url: n.upstash.url, token: n.upstash.token, enableTelemetry: false, automaticDeserialization: false });
      let cursor: string | number = 0;
      do {
        const [next, keys]: [string | number, string[]] = await redis.scan(cursor, { match: `airlock:${n.id}:*`, count: 1000 });
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (String(cursor) !== "0");
    }
  });

  async function setup(backend: "memory" | "upstash", env: Record<string, string> = {}) {
    const id = `rl-${crypto.randomUUID().slice(0, 8)}`;
    const upstash = backend === "upstash" ? (env.UPSTASH_REDIS_REST_URL ? { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN } : h.upstash) : undefined;
    networks.push({ id, upstash: upstash && upstash.url === h.upstash.url ? upstash : undefined });
    const { app, services } = await h.app(
      {
        AIRLOCK_NETWORK_ID: id,
        AIRLOCK_RATE_LIMITS: LIMITS,
        ...(upstash ? { UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token } : {}),
        ...env,
      },
      limitedRoute,
    );
    const call = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
      app.request(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } }, {});
    return { app, services, logger: services.logger as MemoryLogger, call, networkId: id };
  }

  for (const backend of ["memory", "upstash"] as const) {
    describe(`rate limits (${h.runtime}, ${backend})`, () => {
      it(`uses the ${backend} limiter`, async () => {
        const { services } = await setup(backend);
        expect(services.limiter.kind).toBe(backend);
      });

      it("headers on every response; soft warning from 80 % on; exact 429 problem and headers; Retry-After is when it really reopens", async () => {
        vi.setSystemTime(T0);
        const { call, services } = await setup(backend);
        const u = await seed(services);
        const seen: Array<ReturnType<typeof headersOf> & { status: number }> = [];
        for (let i = 1; i <= 10; i++) {
          const res = await call("/__test/limited", u.auth);
          seen.push({ status: res.status, ...headersOf(res) });
        }
        expect(seen.map((s) => s.status)).toEqual(Array(10).fill(200));
        expect(seen.map((s) => s.policy)).toEqual(Array(10).fill(POLICY));
        expect(seen.map((s) => s.ratelimit)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((r) => `"minute";r=${r};t=30`));
        // 8 of 10 is the threshold: the 8th, 9th and 10th requests warn.
        expect(seen.map((s) => s.warning)).toEqual([null, null, null, null, null, null, null, '"minute";r=2;t=30', '"minute";r=1;t=30', '"minute";r=0;t=30']);
        expect(seen.every((s) => s.retryAfter === null)).toBe(true);

        const res = await call("/__test/limited", { ...u.auth, "X-Request-Id": "req-429-test" });
        expect(res.status).toBe(429);
        expect(res.headers.get("content-type")).toBe(PROBLEM_TYPE);
        // The sliding window reopens 1 ms after the minute turns (10 requests then weigh 9.99…, floored to 9).
        expect(headersOf(res)).toEqual({ ratelimit: '"minute";r=0;t=31', policy: POLICY, warning: null, retryAfter: "31" });
        expect(await res.json()).toEqual({
          type: "urn:airlock:problem:rate_limited",
          title: "Too many requests",
          status: 429,
          detail: "rate limit exceeded: 10 requests per minute; the minute window lets the next request through in 31 s (2031-01-01T00:01:01.000Z)",
          code: "rate_limited",
          instance: "/__test/limited",
          request_id: "req-429-test",
          window: "minute",
          limit: 10,
          window_seconds: 60,
          retry_after: 31,
          reset_at: "2031-01-01T00:01:01.000Z",
          violated_windows: ["minute"],
        });

        // A refused request uses no quota: the hour and day windows still count 10.
        vi.setSystemTime(T0 + 30_000); // the minute just turned: 10 × (1 − 0) = 10 ≥ 10
        expect((await call("/__test/limited", u.auth)).status).toBe(429);
        vi.setSystemTime(T0 + 30_001); // 1 ms later, as Retry-After promised: floor(10 × 0.99998) = 9 < 10
        const again = await call("/__test/limited", u.auth);
        expect(again.status).toBe(200);
        expect(headersOf(again)).toEqual({ ratelimit: '"minute";r=0;t=60', policy: POLICY, warning: '"minute";r=0;t=60', retryAfter: null });
        const states = await services.limiter.peek(u.id, [
          { name: "hour", limit: 100, seconds: 3600 },
          { name: "day", limit: 1000, seconds: 86400 },
        ]);
        expect(states.map((s) => s.remaining)).toEqual([89, 989]);
      });

      it("a refused request in one window takes its count back from the others", async () => {
        vi.setSystemTime(T0);
        const { call, services } = await setup(backend, { AIRLOCK_RATE_LIMITS: JSON.stringify({ user: { minute: 50, hour: 3, day: 1000 } }) });
        const u = await seed(services);
        for (let i = 0; i < 3; i++) expect((await call("/__test/limited", u.auth)).status).toBe(200);
        const res = await call("/__test/limited", u.auth);
        expect(res.status).toBe(429);
        // 3 in this hour's bucket: 1 ms into the next hour they weigh floor(3 × 0.9999997) = 2 < 3.
        const body = (await res.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ window: "hour", limit: 3, violated_windows: ["hour"], retry_after: 3571 });
        const retry = Number(res.headers.get("retry-after"));
        expect(retry).toBe(Math.ceil((3_600_000 - 30_000 + 1) / 1000));
        expect(res.headers.get("ratelimit")).toBe(`"hour";r=0;t=${retry}`);
        const [minute] = await services.limiter.peek(u.id, [{ name: "minute", limit: 50, seconds: 60 }]);
        expect(minute.remaining).toBe(47); // 3 counted, the refused one given back
      });

      it("per-user overrides and per-key quotas: keys share the owner's quota unless they have their own", async () => {
        vi.setSystemTime(T0);
        const { call, services } = await setup(backend);
        const u = await seed(services, { rateLimits: { minute: 3 } });
        const shared = await seedKey(services, u.id, null);
        const own = await seedKey(services, u.id, { minute: 2, day: 5 });
        const r1 = await call("/__test/limited", u.auth);
        expect(headersOf(r1).policy).toBe('"minute";q=3;w=60, "hour";q=100;w=3600, "day";q=1000;w=86400');
        expect(headersOf(r1).ratelimit).toBe('"minute";r=2;t=30');
        const r2 = await call("/__test/limited", shared.auth); // the owner's quota
        expect(headersOf(r2).ratelimit).toBe('"minute";r=1;t=30');
        const k1 = await call("/__test/limited", own.auth); // its own
        expect(headersOf(k1).policy).toBe('"minute";q=2;w=60, "hour";q=100;w=3600, "day";q=5;w=86400');
        expect(headersOf(k1).ratelimit).toBe('"minute";r=1;t=30');
        expect((await call("/__test/limited", own.auth)).status).toBe(200);
        expect((await call("/__test/limited", own.auth)).status).toBe(429);
        expect((await call("/__test/limited", u.auth)).status).toBe(200); // the user's own third
        expect((await call("/__test/limited", shared.auth)).status).toBe(429);
      });

      it("every authenticated request counts, whatever the route answers; anonymous requests are not limited here", async () => {
        vi.setSystemTime(T0);
        const { call, services } = await setup(backend);
        const u = await seed(services);
        const forbidden = await call("/__test/admin-only", u.auth);
        expect(forbidden.status).toBe(403);
        expect(headersOf(forbidden)).toMatchObject({ policy: POLICY, ratelimit: '"minute";r=9;t=30' });
        const missing = await call("/v1/nope", u.auth);
        expect(missing.status).toBe(404);
        expect(headersOf(missing).ratelimit).toBe('"minute";r=8;t=30');
        const anon = await call("/v1/meta");
        expect(anon.status).toBe(200);
        expect(headersOf(anon)).toEqual({ ratelimit: null, policy: null, warning: null, retryAfter: null });
      });

      it("50 concurrent clients hammering one identity get exactly the limit, no more", async () => {
        vi.setSystemTime(T0);
        // 250 requests at once share one event loop with the endpoint (Node) or miniflare: accuracy is the point here, not latency.
        const { call, services } = await setup(backend, {
          AIRLOCK_RATE_LIMITS: JSON.stringify({ user: { minute: 100, hour: 10000, day: 100000 } }),
          AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "10000",
        });
        const u = await seed(services);
        const statuses: number[] = [];
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            for (let i = 0; i < 5; i++) statuses.push((await call("/__test/limited", u.auth)).status);
          }),
        );
        const allowed = statuses.filter((s) => s === 200).length;
        expect(statuses.length).toBe(250);
        expect(allowed).toBeGreaterThanOrEqual(100);
        expect(allowed).toBeLessThanOrEqual(105);
        expect(statuses.filter((s) => s === 429).length).toBe(250 - allowed);
        const [minute, hour] = await services.limiter.peek(u.id, [
          { name: "minute", limit: 100, seconds: 60 },
          { name: "hour", limit: 10000, seconds: 3600 },
        ]);
        expect(minute.remaining).toBe(Math.max(100 - allowed, 0));
        expect(hour.remaining).toBe(10000 - allowed); // refused requests were given back
      });

      it("admin: GET shows policy, source and use; DELETE resets (audited)", async () => {
        vi.setSystemTime(T0);
        const { call, services } = await setup(backend);
        const admin = await seed(services, { role: "admin" });
        const u = await seed(services, { rateLimits: { minute: 4, day: 500 } });
        const k = await seedKey(services, u.id, { hour: 7 });
        for (let i = 0; i < 4; i++) await call("/__test/limited", u.auth);
        await call("/__test/limited", k.auth);
        expect((await call("/__test/limited", u.auth)).status).toBe(429);

        const get = await call(`/v1/admin/rate-limits/${u.id}`, admin.auth);
        expect(get.status).toBe(200);
        const minuteEnd = "2031-01-01T00:01:00.000Z";
        expect(await get.json()).toEqual({
          user_id: u.id,
          role: "user",
          identity: u.id,
          windows: [
            { window: "minute", limit: 4, window_seconds: 60, source: "user_override", used: 4, remaining: 0, resets_at: minuteEnd },
            { window: "hour", limit: 100, window_seconds: 3600, source: "role_default", used: 4, remaining: 96, resets_at: "2031-01-01T01:00:00.000Z" },
            { window: "day", limit: 500, window_seconds: 86400, source: "user_override", used: 4, remaining: 496, resets_at: "2031-01-02T00:00:00.000Z" },
          ],
          api_keys: [
            {
              id: k.id,
              identity: `key:${k.id}`,
              windows: [
                { window: "minute", limit: 4, window_seconds: 60, source: "user_override", used: 1, remaining: 3, resets_at: minuteEnd },
                { window: "hour", limit: 7, window_seconds: 3600, source: "key_override", used: 1, remaining: 6, resets_at: "2031-01-01T01:00:00.000Z" },
                { window: "day", limit: 500, window_seconds: 86400, source: "user_override", used: 1, remaining: 499, resets_at: "2031-01-02T00:00:00.000Z" },
              ],
            },
          ],
          lockout: { locked: false, until: null, level: null },
          limiter: {
            backend,
            on_error: "open",
            login_on_error: "closed",
            counters: { errors: 0, timeouts: 0, failed_open: 0, failed_closed: 0, last_error: null, last_error_at: null },
          },
        });

        const nobody = await seed(services);
        expect((await call(`/v1/admin/rate-limits/${u.id}`, nobody.auth)).status).toBe(403);
        expect((await call(`/v1/admin/rate-limits/usr_nobody`, admin.auth)).status).toBe(404);

        const del = await call(`/v1/admin/rate-limits/${u.id}`, { ...admin.auth, "X-Request-Id": "req-reset" }, { method: "DELETE" });
        expect(del.status).toBe(204);
        const after = (await (await call(`/v1/admin/rate-limits/${u.id}`, admin.auth)).json()) as {
          windows: Array<{ used: number }>;
          api_keys: Array<{ windows: Array<{ used: number }> }>;
        };
        expect(after.windows.map((w) => w.used)).toEqual([0, 0, 0]);
        expect(after.api_keys[0].windows.map((w) => w.used)).toEqual([0, 0, 0]);
        expect((await call("/__test/limited", u.auth)).status).toBe(200);
        const entry = await services.db.orm.select().from(auditLog).where(eq(auditLog.action, "rate_limit.reset")).orderBy(desc(auditLog.seq)).get();
        expect(entry).toMatchObject({ actorType: "user", actorId: admin.id, targetType: "user", targetId: u.id, requestId: "req-reset", outcome: "success" });
        expect(JSON.parse(entry!.details!)).toEqual({ identities: [u.id, `key:${k.id}`], lockout_cleared: true });
      });

      it("login guard: failures lock the account for a growing time (audited); success forgets; per-account attempts are limited", async () => {
        vi.setSystemTime(T0);
        const { services } = await setup(backend, { AIRLOCK_LOGIN_MAX_FAILURES: "3", AIRLOCK_LOGIN_LOCKOUT_SECONDS: "60", AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS: "100" });
        const guard = new LoginGuard(services, { requestId: "req-login", audit: { actorType: "anonymous", ip: "203.0.113.9", requestId: "req-login" } });
        const email = `Victim-${crypto.randomUUID().slice(0, 6)}@Example.com`;
        const ip = "203.0.113.9";
        const lockedFor = async () => {
          try {
            await guard.check(ip, email);
            return null;
          } catch (e) {
            const err = e as { code: string; options: { headers: Record<string, string>; extra: Record<string, unknown>; detail: string } };
            expect(err.code).toBe("rate_limited");
            return err.options;
          }
        };
        for (let i = 0; i < 2; i++) {
          expect(await lockedFor()).toBeNull();
          await guard.recordFailure(ip, email);
        }
        expect(await lockedFor()).toBeNull();
        await guard.recordFailure(ip, email); // the third: locked for 60 s
        const lock1 = await lockedFor();
        expect(lock1).toEqual({
          detail: "too many failed logins for this account; it is locked for 60 s more",
          extra: { window: "lockout", retry_after: 60, reset_at: "2031-01-01T00:01:30.000Z" },
          headers: { "Retry-After": "60" },
        });
        const digest = await sha256Hex(email.toLowerCase());
        const entry = await services.db.orm.select().from(auditLog).where(eq(auditLog.action, "auth.lockout")).orderBy(desc(auditLog.seq)).get();
        expect(entry).toMatchObject({ actorType: "anonymous", ip, requestId: "req-login", outcome: "failure", targetType: "account" });
        expect(JSON.parse(entry!.details!)).toEqual({ email_sha256: digest, level: 1, seconds: 60, until: "2031-01-01T00:01:30.000Z", failures: 3 });
        expect(entry!.details).not.toContain("@");

        vi.setSystemTime(T0 + 60_000); // lock over; three more failures lock for 2 × 60 s, capped at 100 s
        expect(await lockedFor()).toBeNull();
        for (let i = 0; i < 3; i++) await guard.recordFailure(ip, email);
        expect((await lockedFor())?.headers).toEqual({ "Retry-After": "100" });

        vi.setSystemTime(T0 + 161_000);
        expect(await lockedFor()).toBeNull();
        await guard.recordSuccess(ip, email); // forgets failures and level
        for (let i = 0; i < 3; i++) await guard.recordFailure(ip, email);
        expect((await lockedFor())?.headers).toEqual({ "Retry-After": "60" });

        // Attempts per account: login_account allows 10 per minute (counted by check()).
        vi.setSystemTime(T0 + 3_600_000);
        const other = `other-${crypto.randomUUID().slice(0, 6)}@example.com`;
        for (let i = 0; i < 10; i++) await guard.check(`198.51.100.${i}`, other);
        await expect(guard.check("198.51.100.77", other)).rejects.toMatchObject({ code: "rate_limited", options: { extra: { window: "minute", limit: 10 } } });
      });
    });
  }

  describe(`login lockout through POST /v1/auth/token (${h.runtime})`, () => {
    it("wrong passwords lock the account (429, audited), even for the right password; an admin reset lifts it", async () => {
      vi.setSystemTime(T0);
      const { call, services } = await setup("memory", { AIRLOCK_LOGIN_MAX_FAILURES: "3" });
      const admin = await seed(services, { role: "admin" });
      const u = await seed(services, { email: `Lock-${crypto.randomUUID().slice(0, 6)}@Example.com`, password: "correct horse battery staple" });
      const login = (password: string, requestId?: string) =>
        call(
          "/v1/auth/token",
          { "content-type": "application/json", ...(requestId ? { "X-Request-Id": requestId } : {}) },
          { method: "POST", body: JSON.stringify({ email: u.email, password }) },
        );
      for (let i = 0; i < 3; i++) expect((await login("wrong password!")).status).toBe(401);
      const locked = await login("correct horse battery staple", "req-locked-1");
      expect(locked.status).toBe(429);
      expect(locked.headers.get("retry-after")).toBe("60");
      expect(await locked.json()).toEqual({
        type: "urn:airlock:problem:rate_limited",
        title: "Too many requests",
        status: 429,
        detail: "too many failed logins for this account; it is locked for 60 s more",
        code: "rate_limited",
        instance: "/v1/auth/token",
        request_id: "req-locked-1",
        window: "lockout",
        retry_after: 60,
        reset_at: "2031-01-01T00:01:30.000Z",
      });
      const entry = await services.db.orm.select().from(auditLog).where(eq(auditLog.action, "auth.lockout")).orderBy(desc(auditLog.seq)).get();
      expect(entry).toMatchObject({ actorType: "anonymous", outcome: "failure", targetType: "account" });
      expect(JSON.parse(entry!.details!)).toMatchObject({ email_sha256: await sha256Hex(u.email.toLowerCase()), level: 1, seconds: 60 });

      const status = (await (await call(`/v1/admin/rate-limits/${u.id}`, admin.auth)).json()) as { lockout: unknown };
      expect(status.lockout).toEqual({ locked: true, until: "2031-01-01T00:01:30.000Z", level: 1 });
      expect((await call(`/v1/admin/rate-limits/${u.id}`, admin.auth, { method: "DELETE" })).status).toBe(204);
      const ok = await login("correct horse battery staple");
      expect(ok.status).toBe(200);
      expect(Object.keys((await ok.json()) as object).sort()).toEqual(["access_token", "expires_in", "refresh_token", "token_type"]);
    });
  });

  describe(`rate limits when Redis fails (${h.runtime})`, () => {
    for (const mode of ["closed", "open"] as const) {
      it(`Redis stopped, AIRLOCK_RATE_LIMIT_ON_ERROR=${mode}: ${mode === "open" ? "let through" : "503"}, counted and logged`, async () => {
        const { call, services, logger } = await setup("upstash", {
          UPSTASH_REDIS_REST_URL: h.downUpstash.url,
          UPSTASH_REDIS_REST_TOKEN: h.downUpstash.token,
          AIRLOCK_RATE_LIMIT_ON_ERROR: mode,
        });
        const u = await seed(services);
        const res = await call("/__test/limited", { ...u.auth, "X-Request-Id": `req-down-${mode}` });
        if (mode === "closed") {
          expect(res.status).toBe(503);
          expect(res.headers.get("retry-after")).toBe("5");
          expect(await res.json()).toEqual({
            type: "urn:airlock:problem:not_ready",
            title: "Service not ready",
            status: 503,
            detail: "rate limiting is temporarily unavailable, so the request was refused; try again shortly",
            code: "not_ready",
            instance: "/__test/limited",
            request_id: `req-down-${mode}`,
          });
        } else {
          expect(res.status).toBe(200);
          expect(headersOf(res)).toEqual({ ratelimit: null, policy: POLICY, warning: null, retryAfter: null });
        }
        expect(services.limiter.counters).toMatchObject({ errors: 1, timeouts: 0, failed_open: mode === "open" ? 1 : 0, failed_closed: mode === "closed" ? 1 : 0 });
        expect(services.limiter.counters.last_error).toMatch(/Redis unavailable/);
        const line = logger.entries.find((e) => e.msg.startsWith("rate limiter unavailable"));
        expect(line).toMatchObject({ level: "error", what: "limit", reason: "error", on_error: mode, request_id: `req-down-${mode}` });
      });
    }

    it("by default, with Redis stopped: authenticated requests go on (counted, logged), logins are refused", async () => {
      const { call, services, logger } = await setup("upstash", { UPSTASH_REDIS_REST_URL: h.downUpstash.url, UPSTASH_REDIS_REST_TOKEN: h.downUpstash.token });
      expect(services.config.rateLimits).toMatchObject({ onError: "open", loginOnError: "closed" });
      const u = await seed(services);
      expect((await call("/__test/limited", u.auth)).status).toBe(200);
      const login = await call(
        "/v1/auth/token",
        { "content-type": "application/json", "X-Request-Id": "req-login-down" },
        { method: "POST", body: JSON.stringify({ email: u.email, password: "correct horse battery staple" }) },
      );
      expect(login.status).toBe(503);
      expect(((await login.json()) as { code: string }).code).toBe("not_ready");
      expect(services.limiter.counters).toMatchObject({ failed_open: 1, failed_closed: 1 });
      expect(logger.entries.filter((e) => e.msg.startsWith("rate limiter unavailable")).map((e) => e.on_error)).toEqual(["open", "closed"]);
    });

    it("a backend that never answers is cut off at the timeout, never a silent success", async () => {
      const { call, services, logger } = await setup("upstash", {
        UPSTASH_REDIS_REST_URL: h.hangingUrl,
        UPSTASH_REDIS_REST_TOKEN: "whatever",
        AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "100",
        AIRLOCK_RATE_LIMIT_ON_ERROR: "closed",
      });
      const u = await seed(services);
      const started = Date.now();
      const res = await call("/__test/limited", u.auth);
      const took = Date.now() - started;
      expect(res.status).toBe(503);
      expect(took).toBeLessThan(2_000);
      expect(services.limiter.counters).toMatchObject({ errors: 0, timeouts: 1, failed_closed: 1, failed_open: 0 });
      expect(logger.entries.find((e) => e.msg.startsWith("rate limiter unavailable"))).toMatchObject({ reason: "timeout", on_error: "closed" });
    });
  });
}
