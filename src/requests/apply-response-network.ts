// What the response network (the master) applies: requests from the request network (apply.ts
// explains how the appliers build their statements).
import { sql } from "drizzle-orm";
import type { Services } from "../services.ts";
import { jsonChunks } from "../lib/chunks.ts";
import type { Statement } from "../deps/db/database.ts";
import type { ApplyContext } from "../transfer/contract.ts";
import type { RequestRecord } from "./records.ts";
import { expectRole, j, latest, raw } from "./apply-sql.ts";

/** The cancellation takes effect on the master: newer, newly cancelled, and not answered/rejected yet. */
const CANCEL_TAKES_EFFECT = sql.raw(
  `json_extract(r.value, '$.version') > q.replica_version AND json_extract(r.value, '$.cancelled_at') IS NOT NULL AND q.cancelled_at IS NULL AND q.status IN ('received', 'processing')`,
);
const IS_NEW = sql.raw(`NOT EXISTS (SELECT 1 FROM requests AS q WHERE q.id = json_extract(r.value, '$.id'))`);

/**
 * Master side. A new request becomes "received" (or "cancelled" if it was
 * cancelled before it left) with the timeline events "submitted" and
 * "exported" (the request network's) and "received" (ours), and a
 * request_status record goes back. A newer version of a known request updates
 * its own fields; a cancellation of a request not answered yet cancels it here
 * too (and drops any claim), and that status goes back as well.
 */
export function applyRequests(s: Services, records: readonly RequestRecord[], ctx: ApplyContext): Statement[] {
  expectRole(s, "response", "applyRequests");
  const rows = latest([...records], (r) => r.id).map((r) => ({ ...r, body: JSON.stringify(r.body) }));
  const net = s.config.networkId;
  const peer = s.config.peerNetworkId;
  const seq = ctx.batchSequence;
  const at = ctx.receivedAt;
  const now = s.clock.now().toISOString();
  const out: Statement[] = [];
  for (const json of jsonChunks(rows)) {
    // Timeline of new requests: theirs (submitted, exported, cancelled) and ours (received, cancelled).
    out.push(
      raw(
        s,
        sql`INSERT INTO request_events (request_id, status, at, network, batch_sequence, detail)
        SELECT ${j("id")}, e.status,
          CASE WHEN e.status = 'submitted' THEN ${j("created_at")} WHEN e.status = 'cancelled' AND e.self = 0 THEN ${j("cancelled_at")} ELSE ${at} END,
          CASE e.self WHEN 1 THEN ${net} ELSE ${peer} END,
          CASE WHEN e.status = 'exported' OR e.self = 1 THEN ${seq} END,
          NULL
        FROM json_each(${json}) AS r
        JOIN (SELECT 'submitted' AS status, 0 AS self UNION ALL SELECT 'exported', 0 UNION ALL SELECT 'received', 1 UNION ALL SELECT 'cancelled', 0 UNION ALL SELECT 'cancelled', 1) AS e
        WHERE ${IS_NEW} AND (e.status <> 'cancelled' OR ${j("cancelled_at")} IS NOT NULL)
        ON CONFLICT DO NOTHING`,
      ),
    );
    // Timeline of cancellations that take effect now.
    out.push(
      raw(
        s,
        sql`INSERT INTO request_events (request_id, status, at, network, batch_sequence, detail)
        SELECT q.id, 'cancelled', CASE e.self WHEN 1 THEN ${at} ELSE ${j("cancelled_at")} END, CASE e.self WHEN 1 THEN ${net} ELSE ${peer} END, CASE e.self WHEN 1 THEN ${seq} END, NULL
        FROM json_each(${json}) AS r
        CROSS JOIN requests AS q
        CROSS JOIN (SELECT 0 AS self UNION ALL SELECT 1) AS e
        WHERE q.id = ${j("id")} AND ${CANCEL_TAKES_EFFECT}
        ON CONFLICT DO NOTHING`,
      ),
    );
    // request_status records back to the request network.
    out.push(
      raw(
        s,
        sql`INSERT INTO outbox (kind, entity_id, version, payload, created_at)
        SELECT 'request_status', ${j("id")}, 1,
          json_object('id', ${j("id")}, 'status', CASE WHEN ${j("cancelled_at")} IS NULL THEN 'received' ELSE 'cancelled' END, 'version', 1,
            'events', json(CASE WHEN ${j("cancelled_at")} IS NULL
              THEN json_array(json_object('status', 'received', 'at', ${at}))
              ELSE json_array(json_object('status', 'received', 'at', ${at}), json_object('status', 'cancelled', 'at', ${at})) END)),
          ${now}
        FROM json_each(${json}) AS r
        WHERE ${IS_NEW}`,
      ),
    );
    out.push(
      raw(
        s,
        sql`INSERT INTO outbox (kind, entity_id, version, payload, created_at)
        SELECT 'request_status', q.id, q.master_version + 1,
          json_object('id', q.id, 'status', 'cancelled', 'version', q.master_version + 1, 'events', json_array(json_object('status', 'cancelled', 'at', ${at}))),
          ${now}
        FROM json_each(${json}) AS r
        CROSS JOIN requests AS q
        WHERE q.id = ${j("id")} AND ${CANCEL_TAKES_EFFECT}`,
      ),
    );
    // The rows themselves, last.
    const takesEffect = sql.raw(`excluded.cancelled_at IS NOT NULL AND requests.cancelled_at IS NULL AND requests.status IN ('received', 'processing')`);
    out.push(
      raw(
        s,
        sql`INSERT INTO requests (id, user_id, api_key_id, topic, body, priority, status, created_at, updated_at, cancelled_at, replica_version, master_version)
        SELECT ${j("id")}, ${j("user_id")}, ${j("api_key_id")}, ${j("topic")}, ${j("body")}, ${j("priority")},
          CASE WHEN ${j("cancelled_at")} IS NULL THEN 'received' ELSE 'cancelled' END,
          ${j("created_at")}, ${at}, ${j("cancelled_at")}, ${j("version")}, 1
        FROM json_each(${json}) AS r
        WHERE true
        ON CONFLICT(id) DO UPDATE SET
          api_key_id = excluded.api_key_id,
          topic = excluded.topic,
          body = excluded.body,
          priority = excluded.priority,
          cancelled_at = excluded.cancelled_at,
          replica_version = excluded.replica_version,
          updated_at = excluded.updated_at,
          status = CASE WHEN ${takesEffect} THEN 'cancelled' ELSE requests.status END,
          master_version = CASE WHEN ${takesEffect} THEN requests.master_version + 1 ELSE requests.master_version END,
          claimed_by = CASE WHEN ${takesEffect} THEN NULL ELSE requests.claimed_by END,
          claim_expires_at = CASE WHEN ${takesEffect} THEN NULL ELSE requests.claim_expires_at END,
          processor_next_at = CASE WHEN ${takesEffect} THEN NULL ELSE requests.processor_next_at END
        WHERE excluded.replica_version > requests.replica_version`,
      ),
    );
  }
  return out;
}
