import { lt, sql } from "drizzle-orm";
import { cacheStatsSnapshots } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { purgeIdempotencyKeys } from "./idempotency.ts";
import { clearExpiredClaims } from "./processor.ts";
import { cacheHealth, cacheStats, invalidateResponses, pruneUserIndexes } from "./response-cache.ts";

export const SNAPSHOT_RETENTION_DAYS = 90;
/** Requests purged per statement batch (ids travel as one JSON parameter). */
const PURGE_CHUNK = 500;

/**
 * Hourly: prune per-user indexes of keys that expired, persist a statistics
 * snapshot, check the store. A store that is down is reported, not thrown: the
 * snapshot still records it (available: false).
 */
export async function cacheMaintenance(s: Services) {
  const health = await cacheHealth(s);
  let pruned: Awaited<ReturnType<typeof pruneUserIndexes>> | { error: string };
  try {
    pruned = health.status === "ok" ? await pruneUserIndexes(s) : { error: "store unavailable" };
  } catch (e) {
    pruned = { error: (e as Error)?.message ?? String(e) };
  }
  const stats = await cacheStats(s);
  const at = s.clock.now().toISOString();
  await s.db.orm
    .insert(cacheStatsSnapshots)
    .values({ at, stats: JSON.stringify({ ...stats, health: { status: health.status, latency_ms: health.latency_ms, error: health.error } }) });
  if (health.status !== "ok") s.logger.log("warn", "cache store unavailable", { store: health.store, error: health.error });
  return { health: health.status, pruned, hits: stats.hits, misses: stats.misses, errors: stats.errors };
}

/**
 * Daily: expired idempotency records, expired claims, statistics snapshots
 * older than SNAPSHOT_RETENTION_DAYS and, when AIRLOCK_REQUEST_RETENTION_DAYS
 * is not 0, requests in a final state (answered, rejected, cancelled) last
 * changed before the cutoff, with their timeline, response and cache entry.
 * Each network purges its own copy on its own schedule; nothing is synced.
 */
export async function requestRetention(s: Services) {
  const now = s.clock.now().getTime();
  const idempotency = await purgeIdempotencyKeys(s);
  const claims = await clearExpiredClaims(s);
  const snapshots = (
    await s.db.orm
      .delete(cacheStatsSnapshots)
      .where(lt(cacheStatsSnapshots.at, new Date(now - SNAPSHOT_RETENTION_DAYS * 86_400_000).toISOString()))
      .returning({ id: cacheStatsSnapshots.id })
  ).length;
  let purged = 0;
  const days = s.config.requests.retentionDays;
  if (days > 0) {
    const cutoff = new Date(now - days * 86_400_000).toISOString();
    for (;;) {
      const rows = await s.db.orm.all<{ id: string }>(
        sql`SELECT id FROM requests WHERE status IN ('answered', 'rejected', 'cancelled') AND updated_at < ${cutoff} ORDER BY updated_at LIMIT ${PURGE_CHUNK}`,
      );
      if (!rows.length) break;
      const ids = JSON.stringify(rows.map((r) => r.id));
      await s.db.batch([
        s.db.orm.run(sql`DELETE FROM request_events WHERE request_id IN (SELECT value FROM json_each(${ids}))`),
        // Requests before their responses: the search index's triggers then drop each entry once,
        // instead of re-indexing it without its answer first.
        s.db.orm.run(sql`DELETE FROM requests WHERE id IN (SELECT value FROM json_each(${ids}))`),
        s.db.orm.run(sql`DELETE FROM responses WHERE request_id IN (SELECT value FROM json_each(${ids}))`),
      ]);
      await invalidateResponses(
        s,
        rows.map((r) => r.id),
      );
      purged += rows.length;
      if (rows.length < PURGE_CHUNK) break;
    }
  }
  return { idempotency_keys: idempotency, claims, snapshots, requests: purged, retention_days: days };
}
