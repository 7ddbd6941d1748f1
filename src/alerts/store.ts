import { asc, eq } from "drizzle-orm";
import { alerts } from "../../schema/index.ts";
import type { Services } from "../services.ts";

/**
 * Every condition the alerts job evaluates, in report order. Named after the Prometheus rules in
 * deploy/prometheus/airlock.rules.yml where one matches (docs/alerts.md).
 */
export const ALERT_NAMES = [
  "peer_not_heard_from",
  "unacknowledged_batch",
  "held_batch",
  "quarantined_batches",
  "dead_letters",
  "oldest_pending_request",
  "processor_failing",
  "rate_limiter_errors",
  "cache_errors",
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export interface ActiveAlert {
  name: string;
  since: string;
  details: Record<string, unknown>;
}

const parse = (d: string | null): Record<string, unknown> => {
  try {
    return d ? (JSON.parse(d) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** The alerts firing now, as the last evaluation left them. */
export async function activeAlerts(s: Services): Promise<ActiveAlert[]> {
  const rows = await s.db.orm.select().from(alerts).where(eq(alerts.state, "firing")).orderBy(asc(alerts.name)).all();
  return rows.map((r) => ({ name: r.name, since: r.since, details: parse(r.details) }));
}
