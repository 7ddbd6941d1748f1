import { sql } from "drizzle-orm";
import { alertEvents, alerts } from "../../schema/index.ts";
import type { Statement } from "../deps/db/database.ts";
import type { Services } from "../services.ts";
import type { AuditInput } from "../audit/audit.ts";
import { auditDetails, writeWithAudit } from "../audit/audit.ts";
import { processMetrics } from "../metrics/process.ts";
import { requestGauges } from "../requests/stats.ts";
import { transferStatus } from "../transfer/status.ts";
import { judge } from "./conditions.ts";
import { ALERT_NAMES } from "./store.ts";

/** Stored details stay small: they are read on every status call and sent with each event. */
const DETAILS_MAX = 2000;

const total = (c: { family(): { samples: Array<{ value: number }> } }) => c.family().samples.reduce((a, x) => a + x.value, 0);

// Backend error counters are per process: each process compares with what it saw last time.
const seen = new WeakMap<object, { limiter: number; cache: number }>();

function backendDeltas(s: Services) {
  const m = processMetrics(s);
  const now = { limiter: total(m.limiterErrors), cache: total(m.cacheErrors) };
  const before = seen.get(s.db) ?? { limiter: 0, cache: 0 };
  seen.set(s.db, now);
  return { limiterErrors: Math.max(0, now.limiter - before.limiter), cacheErrors: Math.max(0, now.cache - before.cache) };
}

/**
 * The alerts job: evaluates every condition and records each change of state (alerts row, an
 * alert_events row for delivery, an audit entry) in one atomic batch. Evaluating again in the same
 * state adds no event and no audit entry.
 */
export async function evaluateAlerts(s: Services) {
  const now = s.clock.now();
  const at = now.toISOString();
  const [status, requests] = await Promise.all([transferStatus(s), requestGauges(s)]);
  const verdicts = judge(s, { now, status, requests, ...backendDeltas(s) });
  const rows = new Map((await s.db.orm.select().from(alerts).all()).map((r) => [r.name, r]));
  const statements: Statement[] = rows.size ? [s.db.orm.update(alerts).set({ lastEvaluated: at }).where(sql`1 = 1`)] : [];
  const entries: AuditInput[] = [];
  const fired: string[] = [];
  const resolved: string[] = [];
  for (const name of ALERT_NAMES) {
    const v = verdicts[name];
    const wasFiring = rows.get(name)?.state === "firing";
    if (v.firing === wasFiring) continue;
    const state = v.firing ? "firing" : "resolved";
    const details = auditDetails(v.details, DETAILS_MAX);
    statements.push(
      s.db.orm
        .insert(alerts)
        .values({ name, state, since: at, lastEvaluated: at, details })
        .onConflictDoUpdate({ target: alerts.name, set: { state, since: at, lastEvaluated: at, details } }),
      s.db.orm.insert(alertEvents).values({ alert: name, state, at, details }),
    );
    entries.push({ actorType: "system", action: `alert.${state}`, targetType: "alert", targetId: name, details: v.details });
    (v.firing ? fired : resolved).push(name);
    s.logger.log(v.firing ? "warn" : "info", v.firing ? "alert firing" : "alert resolved", { alert: name, ...v.details });
  }
  if (entries.length) await writeWithAudit(s, entries, statements);
  else if (statements.length) await s.db.batch(statements as [Statement, ...Statement[]]);
  return fired.length || resolved.length ? { fired, resolved } : {};
}
