// Alert events become webhook messages: each alert_events row not yet handed over is queued for
// every active endpoint that asked for its event and whose owner is an active operator or admin,
// and marked delivered_at, in one atomic batch. The batch only takes rows still unmarked, and the
// unique (endpoint_id, alert_event_id) index is the backstop, so two runs never queue one twice.
import { and, asc, isNull, sql } from "drizzle-orm";
import { alertEvents } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { DELIVERY_ID } from "./events.ts";

/** Alert events handed over per run (the rest wait for the next). */
export const ALERT_BATCH = 100;

/** Queues undelivered alert events as messages; returns how many events were handed over. */
export async function queueAlertEvents(s: Services): Promise<number> {
  const waiting = await s.db.orm.select({ id: alertEvents.id }).from(alertEvents).where(isNull(alertEvents.deliveredAt)).orderBy(asc(alertEvents.id)).limit(ALERT_BATCH).all();
  if (!waiting.length) return 0;
  const ids = sql.join(
    waiting.map((r) => sql`${r.id}`),
    sql`, `,
  );
  const now = s.clock.now().toISOString();
  // The payload is the alert's name, state, time and bounded details (counts and timestamps): no personal data.
  await s.db.batch([
    s.db.orm.run(sql`INSERT INTO webhook_deliveries (id, endpoint_id, event, request_id, alert_event_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT ${DELIVERY_ID}, w.id, 'alert.' || ae.state, NULL, ae.id,
        json_object('type', 'alert.' || ae.state, 'timestamp', ${now},
          'data', json_object('alert', ae.alert, 'state', ae.state, 'since', ae.at, 'details', json(coalesce(ae.details, '{}')))),
        'pending', 0, ${now}, ${now}, ${now}
      FROM alert_events AS ae
      JOIN webhook_endpoints AS w ON w.status = 'active'
        AND EXISTS (SELECT 1 FROM json_each(w.events) AS we WHERE we.value = 'alert.' || ae.state)
      JOIN users AS u ON u.id = w.user_id AND u.status = 'active' AND u.role IN ('admin', 'operator')
      WHERE ae.id IN (${ids}) AND ae.delivered_at IS NULL
      ON CONFLICT DO NOTHING`),
    s.db.orm
      .update(alertEvents)
      .set({ deliveredAt: now })
      .where(and(isNull(alertEvents.deliveredAt), sql`${alertEvents.id} IN (${ids})`)),
  ]);
  return waiting.length;
}
