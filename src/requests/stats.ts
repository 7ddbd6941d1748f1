import { sql } from "drizzle-orm";
import type { Services } from "../services.ts";
import { REQUEST_STATUSES } from "./records.ts";

export const LATENCY_SAMPLE = 10_000;
export const TOP_USERS = 20;
/** Statuses a request waits in (for an export, an operator, the processor or its answer's way back). */
const PENDING: readonly string[] = ["submitted", "exported", "received", "processing"];

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const seconds = (rows: Array<{ s: number | null }>) =>
  rows
    .map((r) => Number(r.s))
    .filter((v) => Number.isFinite(v) && v >= 0)
    .sort((a, b) => a - b);

function percentiles(sorted: number[]) {
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return { count: sorted.length, p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? null) };
}

/**
 * Admin statistics over this network's copy of the requests: counts by status
 * (all time), the oldest pending request's age, per-user volumes and latency
 * percentiles within the window (`since`, default the last 30 days). Latencies
 * use at most the LATENCY_SAMPLE most recent answers.
 *
 * - answer latency: created → answered (the master's answer time);
 * - delivery latency (request network): created → the response's "available"
 *   event, i.e. what the requester actually waited.
 */
export async function requestStats(s: Services, since: string) {
  const now = s.clock.now();
  const counts = await s.db.orm.all<{ status: string; n: number }>(sql`SELECT status, count(*) AS n FROM requests GROUP BY status`);
  const by_status = Object.fromEntries(REQUEST_STATUSES.map((st) => [st, 0])) as Record<string, number>;
  for (const c of counts) by_status[c.status] = Number(c.n);
  // `all`, not `get`: drizzle's libSQL `get` of a raw query throws when there is no row.
  const [oldest] = await s.db.orm.all<{ id: string; created_at: string }>(
    sql`SELECT id, created_at FROM requests WHERE status IN ('submitted', 'exported', 'received', 'processing') ORDER BY created_at, id LIMIT 1`,
  );
  const users = await s.db.orm.all<{ user_id: string; total: number; answered: number; rejected: number; cancelled: number; pending: number }>(
    sql`SELECT user_id, count(*) AS total,
          sum(status = 'answered') AS answered, sum(status = 'rejected') AS rejected, sum(status = 'cancelled') AS cancelled,
          sum(status IN ('submitted', 'exported', 'received', 'processing')) AS pending
        FROM requests WHERE created_at >= ${since}
        GROUP BY user_id ORDER BY total DESC, user_id LIMIT ${TOP_USERS}`,
  );
  const answer = await s.db.orm.all<{ s: number }>(
    sql`SELECT (julianday(answered_at) - julianday(created_at)) * 86400.0 AS s FROM requests
        WHERE status = 'answered' AND answered_at IS NOT NULL AND answered_at >= ${since}
        ORDER BY answered_at DESC LIMIT ${LATENCY_SAMPLE}`,
  );
  const delivery =
    s.config.role === "request"
      ? await s.db.orm.all<{ s: number }>(
          sql`SELECT (julianday(e.at) - julianday(q.created_at)) * 86400.0 AS s FROM request_events AS e JOIN requests AS q ON q.id = e.request_id
              WHERE e.status = 'available' AND e.network = ${s.config.networkId} AND e.at >= ${since}
              ORDER BY e.at DESC LIMIT ${LATENCY_SAMPLE}`,
        )
      : null;
  const total = Object.values(by_status).reduce((a, b) => a + b, 0);
  return {
    network: s.config.networkId,
    role: s.config.role,
    generated_at: now.toISOString(),
    since,
    total,
    by_status,
    oldest_pending: oldest ? { id: oldest.id, created_at: oldest.created_at, age_seconds: Math.max(0, Math.round((now.getTime() - Date.parse(oldest.created_at)) / 1000)) } : null,
    per_user: users.map((u) => ({
      user_id: u.user_id,
      total: Number(u.total),
      answered: Number(u.answered ?? 0),
      rejected: Number(u.rejected ?? 0),
      cancelled: Number(u.cancelled ?? 0),
      pending: Number(u.pending ?? 0),
    })),
    answer_latency_seconds: percentiles(seconds(answer)),
    delivery_latency_seconds: delivery ? percentiles(seconds(delivery)) : null,
  };
}

/**
 * What /metrics reads of the requests, in one query: counts by status, the pending ones (the
 * queue depth), the oldest pending request's creation time, and pending requests whose last
 * processor call failed.
 */
export async function requestGauges(s: Services) {
  const rows = await s.db.orm.all<{ status: string; n: number; oldest: string | null; failing: number }>(
    sql`SELECT status, count(*) AS n, min(created_at) AS oldest, sum(processor_error IS NOT NULL) AS failing FROM requests GROUP BY status`,
  );
  const by_status = Object.fromEntries(REQUEST_STATUSES.map((st) => [st, 0])) as Record<string, number>;
  let oldest: string | null = null;
  let failing = 0;
  for (const r of rows) {
    by_status[r.status] = Number(r.n);
    if (!PENDING.includes(r.status)) continue;
    if (r.oldest && (!oldest || r.oldest < oldest)) oldest = r.oldest;
    failing += Number(r.failing ?? 0);
  }
  const pending = PENDING.reduce((a, st) => a + by_status[st], 0);
  return { by_status, pending, oldest_pending_at: oldest, processor_failing: failing };
}

/** One hour of the last day: requests created and answers given in it (hour = `YYYY-MM-DDTHH`, UTC). */
export interface HourCount {
  hour: string;
  requests: number;
  answers: number;
}

/**
 * Requests created and answered per hour over the 24 hours up to `now` (the current hour
 * last), every hour present, empty ones as 0. Both queries are range scans of an index
 * (requests_created, requests_status_answered).
 */
export async function requestsPerHour(s: Services, now: Date, hours = 24): Promise<HourCount[]> {
  const end = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  const since = new Date(end - (hours - 1) * 3_600_000).toISOString();
  const created = await s.db.orm.all<{ h: string; n: number }>(sql`SELECT substr(created_at, 1, 13) AS h, count(*) AS n FROM requests WHERE created_at >= ${since} GROUP BY h`);
  const answered = await s.db.orm.all<{ h: string; n: number }>(
    sql`SELECT substr(answered_at, 1, 13) AS h, count(*) AS n FROM requests WHERE status = 'answered' AND answered_at >= ${since} GROUP BY h`,
  );
  const byHour = (rows: Array<{ h: string; n: number }>) => new Map(rows.map((r) => [r.h, Number(r.n)]));
  const [c, a] = [byHour(created), byHour(answered)];
  return Array.from({ length: hours }, (_, i) => {
    const hour = new Date(end - (hours - 1 - i) * 3_600_000).toISOString().slice(0, 13);
    return { hour, requests: c.get(hour) ?? 0, answers: a.get(hour) ?? 0 };
  });
}
