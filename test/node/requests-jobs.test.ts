// The hourly cache maintenance and the daily retention, run through the job table on Node:
// with the memory cache and a manual clock (exact TTLs), and once against real Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import { cacheStatsSnapshots, idempotencyKeys, jobRuns, requestEvents, requests, responses } from "../../schema/index.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import type { Services } from "../../src/services.ts";
import { createApp } from "../../src/app.ts";
import { jobsFor } from "../../src/jobs/table.ts";
import { entryKey, userIndexKey } from "../../src/requests/response-cache.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";
import { deleteKeysWithPrefix, getRedisUrl, startUpstashEndpoint, type RedisHandle, type UpstashEndpointHandle } from "../helpers/redis.ts";

const job = (s: Services, name: string) => jobsFor(s.config.role).find((j) => j.name === name)!;

let redis: RedisHandle;
let endpoint: UpstashEndpointHandle;
beforeAll(async () => {
  redis = await getRedisUrl();
  endpoint = await startUpstashEndpoint(redis.url);
});
const networkIds: string[] = [];
afterAll(async () => {
  for (const id of networkIds) await deleteKeysWithPrefix(redis.url, `airlock:${id}:`);
  await endpoint?.close();
  await redis?.stop();
});

/** A user reads an answered request's response through the app, so the cache holds it. */
async function cachedRead(s: Services) {
  const app = createApp(s);
  const me = await seedSession(s);
  const r = await seedRequest(s, me.user.id, { answered: true });
  const res = await app.request(`/v1/requests/${r.id}/response`, { headers: { authorization: me.auth } }, {});
  expect(res.status).toBe(200);
  return { r, me };
}

describe("cache maintenance (hourly)", () => {
  it("prunes index members whose entries expired, drops empty indexes, persists a snapshot, checks the store (memory)", async () => {
    const clock = new ManualClock(new Date("2026-03-01T00:00:00Z"));
    const s = await nodeServices({ NETWORK_ROLE: "request", AIRLOCK_CACHE_TTL_SECONDS: "3600" }, { clock });
    const { r, me } = await cachedRead(s);
    await s.cache.set("cache:resp:manual", { etag: "x", value: 1 }, 7200);
    await s.cache.sadd(userIndexKey(me.user.id), ["cache:resp:manual"], 7200);
    clock.advance(3_601_000); // the read's entry expired; the manual one did not
    const out = await job(s, "cache-maintenance").run(s, { scheduledAt: clock.now() });
    expect(out).toMatchObject({ health: "ok", pruned: { indexes: 1, removed: 1, emptied: 0 }, misses: 1, hits: 0, errors: 0 });
    expect(await s.cache.smembers(userIndexKey(me.user.id))).toEqual(["cache:resp:manual"]);
    expect(await s.cache.get(entryKey(r.id))).toBeNull();
    const snaps = await s.db.orm.select().from(cacheStatsSnapshots).all();
    expect(snaps).toHaveLength(1);
    expect(JSON.parse(snaps[0].stats)).toMatchObject({ store: "memory", misses: 1, available: true, health: { status: "ok" } });
    expect(await s.db.orm.select().from(jobRuns).where(eq(jobRuns.job, "cache-maintenance")).all()).toHaveLength(1);
  });

  it("against real Redis: an expired entry is pruned from its user's index, and the index is dropped when empty", async () => {
    const networkId = `airlock-request-${crypto.randomUUID().slice(0, 8)}`;
    networkIds.push(networkId);
    const s = await nodeServices({
      NETWORK_ROLE: "request",
      AIRLOCK_NETWORK_ID: networkId,
      AIRLOCK_CACHE_TTL_SECONDS: "1",
      UPSTASH_REDIS_REST_URL: endpoint.url,
      UPSTASH_REDIS_REST_TOKEN: endpoint.token,
      AIRLOCK_CACHE_TIMEOUT_MS: "2000",
      AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "2000",
    });
    const { me } = await cachedRead(s);
    // Keep the index alive past its entry: it shares the 1 s TTL, so stretch it.
    await s.cache.sadd(userIndexKey(me.user.id), ["cache:resp:gone-already"], 60);
    await new Promise((w) => setTimeout(w, 1200));
    const out = await job(s, "cache-maintenance").run(s, { scheduledAt: new Date() });
    expect(out).toMatchObject({ health: "ok", pruned: { indexes: 1, removed: 2, emptied: 1 } });
    expect(await s.cache.exists([userIndexKey(me.user.id)])).toEqual([false]);
    const snap = JSON.parse((await s.db.orm.select().from(cacheStatsSnapshots).all())[0].stats);
    expect(snap).toMatchObject({ store: "upstash", misses: 1, available: true });
  });

  it("a store that is down is reported, not thrown; the snapshot says so", async () => {
    const s = await nodeServices({
      NETWORK_ROLE: "request",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1",
      UPSTASH_REDIS_REST_TOKEN: "nothing-listens-there",
      AIRLOCK_CACHE_TIMEOUT_MS: "300",
    });
    const out = await job(s, "cache-maintenance").run(s, { scheduledAt: new Date() });
    expect(out).toMatchObject({ health: "unavailable", pruned: { error: "store unavailable" }, hits: null });
    const snap = JSON.parse((await s.db.orm.select().from(cacheStatsSnapshots).all())[0].stats);
    expect(snap).toMatchObject({ available: false, health: { status: "unavailable" } });
    expect((s.logger as unknown as { entries: Array<{ msg: string }> }).entries.some((e) => e.msg === "cache store unavailable")).toBe(true);
  });
});

describe("retention (daily)", () => {
  it("purges expired idempotency records, expired claims, old snapshots and old finished requests; keeps the rest", async () => {
    const clock = new ManualClock(new Date("2026-03-01T00:00:00Z"));
    const s = await nodeServices({ NETWORK_ROLE: "response", AIRLOCK_REQUEST_RETENTION_DAYS: "30" }, { clock });
    const now = () => clock.now().toISOString();
    await s.db.orm.insert(idempotencyKeys).values([
      { userId: "u1", key: "old", fingerprint: "f", state: "done", createdAt: "2026-02-27T00:00:00.000Z", expiresAt: "2026-02-28T00:00:00.000Z" },
      { userId: "u1", key: "fresh", fingerprint: "f", state: "done", createdAt: now(), expiresAt: "2026-03-02T00:00:00.000Z" },
    ]);
    const old = await seedRequest(s, "u1", { answered: true });
    const oldPending = await seedRequest(s, "u1");
    const recent = await seedRequest(s, "u1", { answered: true });
    const claimed = await seedRequest(s, "u1");
    await s.db.orm
      .update(requests)
      .set({ updatedAt: "2026-01-01T00:00:00.000Z" })
      .where(inArray(requests.id, [old.id, oldPending.id]));
    await s.db.orm.insert(requestEvents).values({ requestId: old.id, status: "answered", at: "2026-01-01T00:00:00.000Z", network: "x" });
    await s.db.orm.update(requests).set({ claimedBy: "usr_op", claimExpiresAt: "2026-02-28T23:00:00.000Z" }).where(eq(requests.id, claimed.id));
    await s.db.orm.insert(cacheStatsSnapshots).values([
      { at: "2025-10-01T00:00:00.000Z", stats: "{}" },
      { at: "2026-02-28T00:00:00.000Z", stats: "{}" },
    ]);

    const results = [];
    for (const j of jobsFor("response").filter((x) => x.cron === "17 3 * * *")) results.push([j.name, await j.run(s, { scheduledAt: clock.now() })]);
    expect(results[0]).toEqual(["request-retention", { idempotency_keys: 1, claims: 1, snapshots: 1, requests: 1, retention_days: 30 }]);
    // The master keeps a webhook log too (operators' alert endpoints), so its retention runs there as well.
    expect(results.map((r) => r[0])).toEqual(["request-retention", "webhook-retention", "housekeeping"]);

    expect((await s.db.orm.select().from(idempotencyKeys).all()).map((k) => k.key)).toEqual(["fresh"]);
    const left = (await s.db.orm.select({ id: requests.id }).from(requests).all()).map((r) => r.id).sort();
    expect(left).toEqual([oldPending.id, recent.id, claimed.id].sort());
    expect(await s.db.orm.select().from(responses).where(eq(responses.requestId, old.id)).all()).toEqual([]);
    expect(await s.db.orm.select().from(requestEvents).where(eq(requestEvents.requestId, old.id)).all()).toEqual([]);
    expect(await s.db.orm.select().from(requests).where(eq(requests.id, claimed.id)).get()).toMatchObject({ claimedBy: null, claimExpiresAt: null });
    expect(await s.db.orm.select().from(cacheStatsSnapshots).all()).toHaveLength(1);
  });

  it("AIRLOCK_REQUEST_RETENTION_DAYS=0 keeps finished requests forever", async () => {
    const s = await nodeServices({ NETWORK_ROLE: "request", AIRLOCK_REQUEST_RETENTION_DAYS: "0" });
    const r = await seedRequest(s, "u1", { answered: true });
    await s.db.orm.update(requests).set({ updatedAt: "2000-01-01T00:00:00.000Z" }).where(eq(requests.id, r.id));
    expect(await job(s, "request-retention").run(s, { scheduledAt: new Date() })).toMatchObject({ requests: 0, retention_days: 0 });
    expect(await s.db.orm.select().from(requests).where(eq(requests.id, r.id)).all()).toHaveLength(1);
  });
});
