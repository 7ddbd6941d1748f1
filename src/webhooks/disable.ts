// Disabling an endpoint (410 Gone, or a message that failed for about three days): the endpoint
// stops receiving, GET /v1/webhooks/{id} shows why, and the owner's other endpoints that asked
// for `endpoint.disabled` are told, in the same batch.
import { sql } from "drizzle-orm";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { bounded } from "../lib/text.ts";
import { DELIVERY_ID } from "./events.ts";
import type { EndpointRow } from "./endpoints.ts";

export function disableStatements(s: Services, e: EndpointRow, why: string): Statement[] {
  const now = s.clock.now().toISOString();
  const reason = bounded(why, 600);
  return [
    s.db.orm.run(sql`INSERT INTO webhook_deliveries (id, endpoint_id, event, request_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT ${DELIVERY_ID}, w.id, 'endpoint.disabled', NULL,
        json_object('type', 'endpoint.disabled', 'timestamp', ${now}, 'data', json_object('endpoint_id', ${e.id}, 'url', ${e.url}, 'reason', ${reason})),
        'pending', 0, ${now}, ${now}, ${now}
      FROM webhook_endpoints AS w
      WHERE w.user_id = ${e.userId} AND w.id <> ${e.id} AND w.status = 'active'
        AND EXISTS (SELECT 1 FROM webhook_endpoints AS x WHERE x.id = ${e.id} AND x.status = 'active')
        AND EXISTS (SELECT 1 FROM json_each(w.events) AS we WHERE we.value = 'endpoint.disabled')`),
    s.db.orm.run(
      sql`UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = ${reason}, disabled_at = ${now}, updated_at = ${now} WHERE id = ${e.id} AND status = 'active'`,
    ),
  ];
}
