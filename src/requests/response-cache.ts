import type { Services } from "../services.ts";
import type { Cache } from "../deps/cache/cache.ts";
import { withTimeout } from "../lib/http.ts";
import { processMetrics } from "../metrics/process.ts";
import { CircuitOpenError } from "../lib/breaker.ts";

/**
 * The response cache (cache-aside, docs/requests.md "Cache").
 *
 * Keys, inside the network's namespace `airlock:<network id>:`:
 *   cache:resp:<request id>      the public response, with the ETag it was built for
 *   cache:idx:user:<user id>     set of that user's cache keys (clear one user)
 *   cache-stats                  shared counters (reads, misses, stale, since)
 * Everything an admin clears lives under `cache:`; the counters and the rate
 * limiter's `rl:` keys are outside it.
 *
 * A copy is served only when its ETag equals the one computed from the
 * database row on this very request (version + delivering batch sequence), so
 * a stale copy can never be served, even if an invalidation was lost while
 * Redis was down. Imports and answers also delete the entry (afterApply).
 *
 * Every cache call is bounded (AIRLOCK_CACHE_TIMEOUT_MS). A failure or timeout
 * is counted (per process), logged, and the read is answered from the database.
 * After a few in a row the store's circuit breaker opens (src/lib/breaker.ts):
 * calls then fail at once, uncounted and unlogged here (the breaker counts them
 * and logs its transitions), and reads are answered from the database as
 * "bypass" until a probe finds the store answering again.
 */
export const CACHE_PREFIX = "cache:";
export const STATS_KEY = "cache-stats";
export const entryKey = (requestId: string) => `${CACHE_PREFIX}resp:${requestId}`;
export const userIndexKey = (userId: string) => `${CACHE_PREFIX}idx:user:${userId}`;

interface LocalCounters {
  since: string;
  errors: number;
  lastError: { at: string; op: string; message: string } | null;
}
const locals = new WeakMap<Cache, LocalCounters>();

export function localCounters(s: Services): LocalCounters {
  let l = locals.get(s.cache);
  if (!l) {
    l = { since: s.clock.now().toISOString(), errors: 0, lastError: null };
    locals.set(s.cache, l);
  }
  return l;
}

/** Runs a cache operation within the bound; on failure counts, logs and rethrows. */
export async function guarded<T>(s: Services, op: string, fn: () => Promise<T>, timeoutMs = s.config.cacheTimeoutMs): Promise<T> {
  try {
    return await withTimeout(fn(), timeoutMs, `cache ${op}`);
  } catch (e) {
    if (e instanceof CircuitOpenError) throw e;
    const l = localCounters(s);
    l.errors++;
    processMetrics(s).cacheErrors.inc({ op });
    const message = e instanceof Error ? e.message : String(e);
    l.lastError = { at: s.clock.now().toISOString(), op, message: message.slice(0, 300) };
    s.logger.log("warn", "cache error", { op, store: s.cache.kind, error: message.slice(0, 300) });
    throw e;
  }
}

export type CacheOutcome = "hit" | "miss" | "stale" | "error" | "bypass";

/**
 * Cache-aside read of one response. `load` reads it from the database; `etag`
 * is the current version tag from the database row.
 */
export async function readThrough<T>(s: Services, o: { requestId: string; userId: string; etag: string; load: () => Promise<T> }): Promise<{ value: T; outcome: CacheOutcome }> {
  const r = await cacheAside(s, o);
  processMetrics(s).cacheReads.inc({ outcome: r.outcome });
  return r;
}

async function cacheAside<T>(s: Services, o: { requestId: string; userId: string; etag: string; load: () => Promise<T> }): Promise<{ value: T; outcome: CacheOutcome }> {
  const key = entryKey(o.requestId);
  let cached: { etag: string; value: T } | null;
  try {
    // One round trip (auto-pipelined): the read and the read counter. The counter is best effort: the
    // entry's read alone decides the outcome (and is the probe when the store's breaker is half-open).
    [cached] = await guarded(s, "get", () => Promise.all([s.cache.get<{ etag: string; value: T }>(key), s.cache.hincrby(STATS_KEY, "reads", 1).catch(() => 0)]));
  } catch (e) {
    return { value: await o.load(), outcome: e instanceof CircuitOpenError ? "bypass" : "error" };
  }
  if (cached && cached.etag === o.etag) return { value: cached.value, outcome: "hit" };
  const outcome: CacheOutcome = cached ? "stale" : "miss";
  const value = await o.load();
  const ttl = s.config.cacheTtlSeconds;
  try {
    await guarded(s, "set", () =>
      Promise.all([
        s.cache.set(key, { etag: o.etag, value }, ttl),
        s.cache.sadd(userIndexKey(o.userId), [key], ttl),
        s.cache.hincrby(STATS_KEY, outcome === "miss" ? "misses" : "stale", 1),
        s.cache.hsetnx(STATS_KEY, "since", s.clock.now().toISOString()),
      ]),
    );
  } catch {
    // Counted and logged; the client still gets its answer.
  }
  return { value, outcome };
}

/** Deletes the entries of these requests (after an import or an answer). Never throws: freshness does not depend on it. */
export async function invalidateResponses(s: Services, requestIds: string[]): Promise<number> {
  if (!requestIds.length) return 0;
  try {
    return await guarded(s, "invalidate", () => s.cache.del([...new Set(requestIds)].map(entryKey)), ADMIN_TIMEOUT_MS);
  } catch {
    return 0;
  }
}

/** Admin operations may take longer than one read (many SCAN pages), each page still bounded by the store. */
export const ADMIN_TIMEOUT_MS = 30_000;

async function deleteScanned(s: Services, pattern: string): Promise<number> {
  let n = 0;
  let chunk: string[] = [];
  for await (const k of s.cache.scan(pattern)) {
    chunk.push(k);
    if (chunk.length >= 500) {
      n += await s.cache.del(chunk);
      chunk = [];
    }
  }
  if (chunk.length) n += await s.cache.del(chunk);
  return n;
}

/** Every cached entry and index of this network (never anything outside `airlock:<network>:cache:`). */
export const clearAll = (s: Services) => guarded(s, "clear", () => deleteScanned(s, `${CACHE_PREFIX}*`), ADMIN_TIMEOUT_MS);

/** One user's entries, found through their index. */
export function clearUser(s: Services, userId: string) {
  return guarded(
    s,
    "clear_user",
    async () => {
      const idx = userIndexKey(userId);
      const members = (await s.cache.smembers(idx)).filter((m) => m.startsWith(CACHE_PREFIX));
      const deleted = members.length ? await s.cache.del(members) : 0;
      await s.cache.del([idx]);
      return deleted;
    },
    ADMIN_TIMEOUT_MS,
  );
}

/**
 * Patterns are relative to `cache:` and may use `*`, `?` and `[...]`; letters,
 * digits and `_ - : .` otherwise. No backslashes (no escapes to get around the
 * prefix), at most 200 characters.
 */
export const PATTERN_RE = /^[A-Za-z0-9_\-:.*?[\]]{1,200}$/;
export const invalidatePattern = (s: Services, pattern: string) => guarded(s, "invalidate_pattern", () => deleteScanned(s, CACHE_PREFIX + pattern), ADMIN_TIMEOUT_MS);

/** Keys per kind, counted with SCAN (stopping at `limit`). */
export async function countKeys(s: Services, limit = 100_000): Promise<{ responses: number; user_indexes: number; other: number; truncated: boolean }> {
  const out = { responses: 0, user_indexes: 0, other: 0, truncated: false };
  let n = 0;
  for await (const k of s.cache.scan(`${CACHE_PREFIX}*`)) {
    if (k.startsWith(`${CACHE_PREFIX}resp:`)) out.responses++;
    else if (k.startsWith(`${CACHE_PREFIX}idx:user:`)) out.user_indexes++;
    else out.other++;
    if (++n >= limit) {
      out.truncated = true;
      break;
    }
  }
  return out;
}

export interface CacheStats {
  store: Cache["kind"];
  namespace: string;
  ttl_seconds: number;
  since: string;
  reads: number | null;
  hits: number | null;
  misses: number | null;
  stale: number | null;
  hit_ratio: number | null;
  errors: number;
  errors_since: string;
  last_error: LocalCounters["lastError"];
  keys: { responses: number; user_indexes: number; other: number; truncated: boolean } | null;
  available: boolean;
}

/**
 * Hits, misses and reads are shared (in the store, across isolates and
 * processes); errors are per process (the store may be what failed).
 */
export async function cacheStats(s: Services): Promise<CacheStats> {
  const l = localCounters(s);
  const base = {
    store: s.cache.kind,
    namespace: `airlock:${s.config.networkId}:${CACHE_PREFIX}`,
    ttl_seconds: s.config.cacheTtlSeconds,
    errors_since: l.since,
  };
  try {
    const [h, keys] = await guarded(s, "stats", () => Promise.all([s.cache.hgetall(STATS_KEY), countKeys(s)]), ADMIN_TIMEOUT_MS);
    const reads = Number(h.reads ?? 0);
    const misses = Number(h.misses ?? 0);
    const stale = Number(h.stale ?? 0);
    const hits = Math.max(0, reads - misses - stale);
    return {
      ...base,
      since: h.since ?? l.since,
      reads,
      hits,
      misses,
      stale,
      hit_ratio: reads ? Math.round((hits / reads) * 10_000) / 10_000 : null,
      errors: l.errors,
      last_error: l.lastError,
      keys,
      available: true,
    };
  } catch {
    return {
      ...base,
      since: l.since,
      reads: null,
      hits: null,
      misses: null,
      stale: null,
      hit_ratio: null,
      errors: l.errors,
      last_error: l.lastError,
      keys: null,
      available: false,
    };
  }
}

export interface CacheHealth {
  status: "ok" | "unavailable";
  store: Cache["kind"];
  latency_ms: number;
  timeout_ms: number;
  error: string | null;
  checked_at: string;
}

export async function cacheHealth(s: Services): Promise<CacheHealth> {
  const started = Date.now();
  const base = { store: s.cache.kind, timeout_ms: s.config.cacheTimeoutMs, checked_at: s.clock.now().toISOString() };
  try {
    await guarded(s, "ping", () => s.cache.ping());
    return { ...base, status: "ok", latency_ms: Date.now() - started, error: null };
  } catch (e) {
    return { ...base, status: "unavailable", latency_ms: Date.now() - started, error: (e instanceof Error ? e.message : String(e)).slice(0, 300) };
  }
}

/** Hourly: drop index members whose entries expired or were deleted, and indexes left empty. */
export async function pruneUserIndexes(s: Services): Promise<{ indexes: number; removed: number; emptied: number }> {
  const out = { indexes: 0, removed: 0, emptied: 0 };
  await guarded(
    s,
    "prune",
    async () => {
      for await (const idx of s.cache.scan(`${CACHE_PREFIX}idx:user:*`)) {
        out.indexes++;
        const members = await s.cache.smembers(idx);
        if (!members.length) continue;
        const alive = await s.cache.exists(members);
        const dead = members.filter((_, i) => !alive[i]);
        if (dead.length) out.removed += await s.cache.srem(idx, dead);
        if (dead.length === members.length) {
          await s.cache.del([idx]);
          out.emptied++;
        }
      }
    },
    ADMIN_TIMEOUT_MS,
  );
  return out;
}
