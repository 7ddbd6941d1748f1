// The response cache on Redis: administration (clear, per user, by pattern; audited), stats and
// health, and reads that go on from the database when Redis hangs or stops.
// On Node (libSQL) and inside workerd (D1), the response cache on real Redis behind the
// Upstash-compatible endpoint; the entry files are test/node/response-cache.test.ts and test/workers/response-cache.test.ts.
import { describe, expect, it } from "vitest";
import { auditLog } from "../../schema/index.ts";
import { entryKey } from "../../src/requests/response-cache.ts";
import { UpstashCache } from "../../src/deps/cache/upstash.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

export function responseCacheSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);

  describe(`requests and responses (${h.runtime}, upstash cache)`, () => {
    it("cache administration: clear all (only this network's cache keys), one user, a pattern; each audited", async () => {
      const { s, call, session, submit, deliver, stats } = await setup();
      const adminSession = await session("admin");
      const admin = adminSession.auth;
      const alice = await session();
      const bob = await session();
      const ids: Record<string, string[]> = { alice: [], bob: [] };
      for (const [name, who] of [
        ["alice", alice],
        ["bob", bob],
      ] as const) {
        for (let i = 0; i < 2; i++) {
          const { json } = await submit(who.auth);
          await deliver(json.id, 20 + i);
          expect((await call(`/v1/requests/${json.id}/response`, { auth: who.auth })).status).toBe(200);
          ids[name].push(json.id);
        }
      }
      const present = async (id: string) => (await s.cache.get(entryKey(id))) !== null;
      expect(await Promise.all([...ids.alice, ...ids.bob].map(present))).toEqual([true, true, true, true]);
      expect((await stats(admin)).keys).toEqual({ responses: 4, user_indexes: 2, other: 0, truncated: false });

      // Neighbours that must survive: a non-cache key of this network (e.g. the rate limiter's) and another namespace.
      await s.cache.set("rl:probe", { keep: true }, 600);
      const foreignNs = `airlock-test-foreign-${crypto.randomUUID().slice(0, 8)}:`;
      const foreign = new UpstashCache(h.upstash, foreignNs, { timeoutMs: 2000 });
      await foreign.set("cache:resp:x", 1, 600);

      // One user.
      const cu = await call(`/v1/admin/cache/users/${alice.user.id}`, { method: "DELETE", auth: admin });
      expect(cu.status).toBe(200);
      expect(await cu.json()).toEqual({ deleted: 2, scope: `airlock:${s.config.networkId}:cache:idx:user:${alice.user.id}` });
      expect(await Promise.all([...ids.alice, ...ids.bob].map(present))).toEqual([false, false, true, true]);
      await problem(await call("/v1/admin/cache/users/usr_nobody", { method: "DELETE", auth: admin }), "not_found", "/v1/admin/cache/users/usr_nobody");

      // A pattern (SCAN-based), relative to the cache namespace.
      const pat = await call("/v1/admin/cache/invalidate", { method: "POST", auth: admin, body: { pattern: `resp:${ids.bob[0]}` } });
      expect(await pat.json()).toEqual({ deleted: 1, scope: `airlock:${s.config.networkId}:cache:resp:${ids.bob[0]}` });
      expect(await Promise.all(ids.bob.map(present))).toEqual([false, true]);
      for (const bad of ["", "../x", "a b", "x\\*", "*".repeat(201)]) {
        await problem(await call("/v1/admin/cache/invalidate", { method: "POST", auth: admin, body: { pattern: bad } }), "validation_failed", "/v1/admin/cache/invalidate");
      }

      // Everything of this network's cache, and nothing else.
      const all = await call("/v1/admin/cache", { method: "DELETE", auth: admin });
      expect(all.status).toBe(200);
      const cleared = (await all.json()) as Json;
      expect(cleared).toEqual({ deleted: 2, scope: `airlock:${s.config.networkId}:cache:*` }); // bob's last entry and his index
      expect(await present(ids.bob[1])).toBe(false);
      expect(await s.cache.get("rl:probe")).toEqual({ keep: true });
      expect(await foreign.get("cache:resp:x")).toBe(1);
      await foreign.del(["cache:resp:x"]);
      expect((await stats(admin)).keys).toEqual({ responses: 0, user_indexes: 0, other: 0, truncated: false });

      // Reads still work after a clear (a miss refills).
      const again = await call(`/v1/requests/${ids.bob[1]}/response`, { auth: bob.auth });
      expect(again.headers.get("x-cache")).toBe("miss");

      const actions = (await s.db.orm.select().from(auditLog).all()).filter((r) => r.action.startsWith("cache.") && r.actorId === adminSession.user.id);
      expect(actions.map((a) => [a.action, a.targetId, a.outcome, JSON.parse(a.details!).deleted])).toEqual([
        ["cache.clear_user", alice.user.id, "success", 2],
        ["cache.invalidate", null, "success", 1],
        ["cache.clear", null, "success", 2],
      ]);
    });

    it("cache stats and health describe the store", async () => {
      const { call, adminAuth } = await setup();
      const admin = await adminAuth();
      const st = (await (await call("/v1/admin/cache/stats", { auth: admin })).json()) as Json;
      expect(st).toMatchObject({ store: "upstash", ttl_seconds: 86_400, available: true, errors: 0, last_error: null, since: expect.any(String), reads: expect.any(Number) });
      const health = (await (await call("/v1/admin/cache/health", { auth: admin })).json()) as Json;
      expect(health).toMatchObject({ status: "ok", store: "upstash", error: null, timeout_ms: expect.any(Number) });
    });

    it("a Redis that never answers costs a read at most AIRLOCK_CACHE_TIMEOUT_MS, then the database answers", async () => {
      const { call, session, submit, deliver, adminAuth, stats } = await setup("request", {
        UPSTASH_REDIS_REST_URL: h.hangingUrl,
        UPSTASH_REDIS_REST_TOKEN: "unused-token",
        AIRLOCK_CACHE_TIMEOUT_MS: "200",
        AIRLOCK_RATE_LIMIT_ON_ERROR: "open",
        AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "50",
      });
      const me = await session();
      const admin = await adminAuth();
      const { json } = await submit(me.auth);
      await deliver(json.id, 2);
      const started = Date.now();
      const res = await call(`/v1/requests/${json.id}/response`, { auth: me.auth });
      const took = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.headers.get("x-cache")).toBe("error");
      expect(((await res.json()) as Json).body).toEqual({ answer: "sunny", seq: 2 });
      // get (bounded) + set (bounded) + the limiter's bound: well under two seconds.
      expect(took).toBeLessThan(2000);
      const st = await stats(admin);
      expect(st.errors).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(st.last_error)).toMatch(/timed out|abort/i);
    });

    it("Redis stopped in the middle: reads still 200 from the database, the error counted and logged; admin actions 503; back when Redis is", async () => {
      const { s, call, session, submit, deliver, adminAuth, stats } = await setup("request", {
        UPSTASH_REDIS_REST_URL: h.privateRedis.upstash.url,
        UPSTASH_REDIS_REST_TOKEN: h.privateRedis.upstash.token,
        AIRLOCK_RATE_LIMIT_ON_ERROR: "open", // the limiter shares this Redis; let it fail open so the cache fallback is what we see
      });
      const me = await session();
      const admin = await adminAuth();
      const { json } = await submit(me.auth);
      await deliver(json.id, 4);
      const path = `/v1/requests/${json.id}/response`;
      expect((await call(path, { auth: me.auth })).headers.get("x-cache")).toBe("miss");
      expect((await call(path, { auth: me.auth })).headers.get("x-cache")).toBe("hit");
      await h.privateRedis.stop();
      try {
        const down = await call(path, { auth: me.auth });
        expect(down.status).toBe(200);
        expect(down.headers.get("etag")).toBe('"v1.s4"');
        expect(down.headers.get("x-cache")).toBe("error");
        expect(((await down.json()) as Json).body).toEqual({ answer: "sunny", seq: 4 });
        const st = await stats(admin);
        expect(st).toMatchObject({ available: false, hits: null, keys: null });
        expect(st.errors).toBeGreaterThanOrEqual(1);
        expect(st.last_error).toMatchObject({ op: "stats", message: expect.any(String) }); // the stats read itself failed last
        const logs = (s.logger as unknown as { entries: Json[] }).entries.filter((e) => e.msg === "cache error");
        expect(logs.map((l) => l.op)).toEqual(expect.arrayContaining(["get", "stats"]));
        expect((await (await call("/v1/admin/cache/health", { auth: admin })).json()) as Json).toMatchObject({ status: "unavailable", error: expect.any(String) });
        await problem(await call("/v1/admin/cache", { method: "DELETE", auth: admin }), "cache_unavailable", "/v1/admin/cache");
        const failed = (await s.db.orm.select().from(auditLog).all()).filter((r) => r.action === "cache.clear");
        expect(failed.at(-1)).toMatchObject({ outcome: "failure" });
      } finally {
        await h.privateRedis.start();
      }
      // A fresh Redis: the first read misses and refills, once the cache's circuit breaker (opened by
      // the failures above) has let its probe through, 5 s after opening.
      let refilled: Response | undefined;
      for (let i = 0; i < 120; i++) {
        refilled = await call(path, { auth: me.auth });
        if (refilled.headers.get("x-cache") === "miss" && (await s.cache.get(entryKey(json.id)).catch(() => null))) break;
        await new Promise((r) => setTimeout(r, 100)); // the endpoint reconnects to the restarted Redis
      }
      expect(refilled!.status).toBe(200);
      expect((await call(path, { auth: me.auth })).headers.get("x-cache")).toBe("hit");
    });
  });
}
