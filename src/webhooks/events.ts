// The events a webhook endpoint may ask for, and the statements that queue their deliveries. They
// are INSERT … SELECT statements that run inside the batch that makes the change (an import's one
// atomic batch, a cancel's batch), so a change and its deliveries commit or fail together.
import { sql, type SQL } from "drizzle-orm";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";

export const REQUEST_EVENTS = ["request.received", "request.answered", "request.rejected", "request.cancelled"] as const;
/** Operators' and admins' only, on either network (src/webhooks/alert-deliveries.ts). */
export const ALERT_EVENTS = ["alert.firing", "alert.resolved"] as const;
export const EVENTS = [...REQUEST_EVENTS, "endpoint.disabled", ...ALERT_EVENTS] as const;
export type WebhookEvent = (typeof EVENTS)[number];

/** A `webhook-id`: random, so the same event never gets the id of another. */
export const DELIVERY_ID = sql.raw(`'msg_' || lower(hex(randomblob(16)))`);

export interface RequestEventQuery {
  /** FROM …, naming the request row `q`. */
  from: SQL;
  /** WHERE …: only rows whose change is real (versions, previous status). */
  where: SQL;
  /** The event's name and the request status it announces, as SQL expressions. */
  event: SQL;
  status: SQL;
}

/**
 * One delivery for each active endpoint of the request's owner that wants the event; the
 * payload is thin (event, request id, status). Replays change nothing (unique per endpoint,
 * event and request).
 */
export function queueRequestEvent(s: Services, q: RequestEventQuery): Statement {
  const now = s.clock.now().toISOString();
  return s.db.orm.run(sql`INSERT INTO webhook_deliveries (id, endpoint_id, event, request_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT ${DELIVERY_ID}, w.id, ${q.event}, q.id,
      json_object('type', ${q.event}, 'timestamp', ${now}, 'data', json_object('request_id', q.id, 'status', ${q.status})),
      'pending', 0, ${now}, ${now}, ${now}
    FROM ${q.from}
    JOIN webhook_endpoints AS w ON w.user_id = q.user_id AND w.status = 'active'
      AND EXISTS (SELECT 1 FROM json_each(w.events) AS we WHERE we.value = ${q.event})
    WHERE ${q.where}
    ON CONFLICT DO NOTHING`);
}

/** The user's own cancel, on the request network: written with the cancel's statements. */
export const queueCancelled = (s: Services, requestId: string): Statement =>
  queueRequestEvent(s, { from: sql`requests AS q`, where: sql`q.id = ${requestId}`, event: sql`'request.cancelled'`, status: sql`'cancelled'` });
