import { Registry } from "../lib/metrics.ts";
import type { Services } from "../services.ts";

/** Request latency buckets, in seconds: from a cached read to a slow batch import. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Methods nobody routes are one label value, so a client cannot mint series. */
export const methodLabel = (m: string) => (METHODS.has(m) ? m : "other");

function build() {
  const r = new Registry();
  return {
    registry: r,
    requests: r.counter("airlock_http_requests", "HTTP requests answered, by method, route template and status", ["method", "route", "status"]),
    duration: r.histogram("airlock_http_request_duration_seconds", "Time to answer an HTTP request, by method and route template", ["method", "route"], LATENCY_BUCKETS),
    cacheReads: r.counter(
      "airlock_response_cache_reads",
      "Response cache reads by outcome: hit, miss, stale (replaced), error (answered from the database), bypass (circuit open: answered from the database)",
      ["outcome"],
    ),
    cacheErrors: r.counter("airlock_cache_errors", "Cache operations that failed or timed out, by operation", ["op"]),
    limiterDecisions: r.counter("airlock_rate_limit_decisions", "Rate limiter decisions, by limit (identity, login_ip, login_account) and decision (allowed, limited)", [
      "limit",
      "decision",
    ]),
    webhookDeliveries: r.counter(
      "airlock_webhook_deliveries",
      "Webhook delivery attempts by outcome: delivered, retry (scheduled again), failed (given up); disabled counts endpoints disabled",
      ["outcome"],
    ),
    limiterErrors: r.counter("airlock_rate_limiter_errors", "Rate limiter backend failures, by the policy applied: open (let through) or closed (refused)", ["on_error"]),
  };
}

export type ProcessMetrics = ReturnType<typeof build>;

// One set per process (on workerd: per isolate), found from the services it serves: their
// database is built once per process, and each test app has its own.
const byProcess = new WeakMap<object, ProcessMetrics>();

/** This process's counters and histograms. */
export function processMetrics(s: Pick<Services, "db">): ProcessMetrics {
  let m = byProcess.get(s.db);
  if (!m) {
    m = build();
    byProcess.set(s.db, m);
  }
  return m;
}
