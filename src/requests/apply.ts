import { sql, type SQL } from "drizzle-orm";
import type { Services } from "../services.ts";
import { jsonChunks } from "../lib/chunks.ts";
import type { Statement } from "../deps/db/database.ts";
import type { RequestRecord, RequestStatusRecord, ResponseRecord } from "./records.ts";
import { invalidateResponses } from "./response-cache.ts";

/**
 * What the importer calls to apply requests, statuses and responses (their
 * record kinds, src/requests/kinds.ts; docs/requests.md "Applying records"). The
 * records were validated against their kind's schema before. Each function
 * only BUILDS statements; the importer runs a whole batch's statements in one
 * atomic `db.batch`. Applying an older or equal version is a no-op, so a batch
 * applied twice changes nothing the second time.
 *
 * Set-based: a chunk of records travels as ONE JSON text parameter and each
 * statement reads it with `json_each(?)`, so the statement count does not grow
 * with the records, and every statement stays far below D1's limits (100 bound
 * parameters, 100 KB of SQL). Within one call, records for the same entity are
 * merged first (the highest version wins; status events are kept from all).
 *
 * Statement order matters: the events and outbox rows are inserted BEFORE the
 * upsert, while their conditions can still see the stored (old) versions.
 * Joins with stored rows are written `json_each(?) CROSS JOIN requests` so
 * SQLite walks the records and looks rows up by primary key (a plain JOIN let
 * the planner scan requests by status and re-read the JSON for each row).
 */
import type { ApplyContext } from "../transfer/contract.ts";

const raw = (s: Services, q: SQL): Statement => s.db.orm.run(q);
const j = (field: string) => sql.raw(`json_extract(r.value, '$.${field}')`);

function expectRole(s: Services, role: "request" | "response", what: string) {
  if (s.config.role !== role) throw new Error(`${what} runs on the ${role} network (this is the ${s.config.role} network)`);
}

/** Highest version per key. */
function latest<T extends { version: number }>(records: T[], keyOf: (r: T) => string): T[] {
  const by = new Map<string, T>();
  for (const r of records) {
    const k = keyOf(r);
    const cur = by.get(k);
    if (!cur || r.version > cur.version) by.set(k, r);
  }
  return [...by.values()];
}

// ─── Master (response network): requests from the request network ───────────

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

// ─── Replica (request network): statuses and responses from the master ──────

/**
 * Replica side. A newer status replaces the master-owned status (except that a
 * request cancelled here stays cancelled until the master says answered,
 * rejected or cancelled), and its events join the timeline with the batch
 * that carried them.
 */
export function applyRequestStatuses(s: Services, records: readonly RequestStatusRecord[], ctx: ApplyContext): Statement[] {
  expectRole(s, "request", "applyRequestStatuses");
  const parsed = records;
  // Merge per request: the newest status, and the events of every version in this batch.
  const byId = new Map<string, RequestStatusRecord>();
  for (const r of [...parsed].sort((a, b) => a.version - b.version)) {
    const cur = byId.get(r.id);
    byId.set(r.id, cur ? { ...r, events: [...cur.events, ...r.events] } : r);
  }
  const rows = [...byId.values()].map((r) => ({
    id: r.id,
    status: r.status,
    version: r.version,
    events: r.events.map((e) => ({ status: e.status, at: e.at, detail: e.detail ?? null })),
    answered_at: r.status === "answered" || r.status === "rejected" ? ([...r.events].reverse().find((e) => e.status === r.status)?.at ?? ctx.receivedAt) : null,
  }));
  const peer = s.config.peerNetworkId;
  const out: Statement[] = [];
  for (const json of jsonChunks(rows)) {
    out.push(
      raw(
        s,
        sql`INSERT INTO request_events (request_id, status, at, network, batch_sequence, detail)
        SELECT q.id, json_extract(e.value, '$.status'), json_extract(e.value, '$.at'), ${peer}, ${ctx.batchSequence}, json_extract(e.value, '$.detail')
        FROM json_each(${json}) AS r
        CROSS JOIN requests AS q
        CROSS JOIN json_each(json_extract(r.value, '$.events')) AS e
        WHERE q.id = ${j("id")} AND ${j("version")} > q.master_version
        ON CONFLICT DO NOTHING`,
      ),
    );
    out.push(
      raw(
        s,
        sql`UPDATE requests SET
          status = CASE WHEN requests.cancelled_at IS NOT NULL AND ${j("status")} NOT IN ('answered', 'rejected', 'cancelled') THEN 'cancelled' ELSE ${j("status")} END,
          master_version = ${j("version")},
          answered_at = COALESCE(${j("answered_at")}, requests.answered_at),
          updated_at = ${ctx.receivedAt}
        FROM json_each(${json}) AS r
        WHERE requests.id = ${j("id")} AND ${j("version")} > requests.master_version`,
      ),
    );
  }
  return out;
}

/**
 * Replica side. A newer response version replaces the stored one and records
 * the batch that delivered it (`delivered_sequence`, part of the ETag and of
 * the cache check); the timeline gets "available" (first delivery) or
 * "response_updated" (a correction).
 */
export function applyResponses(s: Services, records: readonly ResponseRecord[], ctx: ApplyContext): Statement[] {
  expectRole(s, "request", "applyResponses");
  const rows = latest([...records], (r) => r.request_id);
  const out: Statement[] = [];
  for (const json of jsonChunks(rows)) {
    out.push(
      raw(
        s,
        sql`INSERT INTO request_events (request_id, status, at, network, batch_sequence, detail)
        SELECT q.id, CASE WHEN p.version IS NULL THEN 'available' ELSE 'response_updated' END, ${ctx.receivedAt}, ${s.config.networkId}, ${ctx.batchSequence},
          'response version ' || ${j("version")}
        FROM json_each(${json}) AS r
        CROSS JOIN requests AS q
        LEFT JOIN responses AS p ON p.request_id = q.id
        WHERE q.id = ${j("request_id")} AND ${j("version")} > COALESCE(p.version, 0)
        ON CONFLICT(request_id, status, network) DO UPDATE SET at = excluded.at, batch_sequence = excluded.batch_sequence, detail = excluded.detail`,
      ),
    );
    out.push(
      raw(
        s,
        sql`INSERT INTO responses (request_id, kind, body, content_type, reason, answered_by, answered_at, version, delivered_sequence)
        SELECT ${j("request_id")}, ${j("kind")}, ${j("body")}, ${j("content_type")}, ${j("reason")}, ${j("answered_by")}, ${j("answered_at")}, ${j("version")}, ${ctx.batchSequence}
        FROM json_each(${json}) AS r
        WHERE true
        ON CONFLICT(request_id) DO UPDATE SET
          kind = excluded.kind,
          body = excluded.body,
          content_type = excluded.content_type,
          reason = excluded.reason,
          answered_by = excluded.answered_by,
          answered_at = excluded.answered_at,
          version = excluded.version,
          delivered_sequence = excluded.delivered_sequence
        WHERE excluded.version > responses.version`,
      ),
    );
  }
  return out;
}

/**
 * Request network: these requests were carried in batch `batchSequence`.
 * Submitted ones become "exported"; each gets the "exported" event with the
 * batch (the first batch that carried it; a resend keeps it).
 */
export function markExported(s: Services, requestIds: string[], batchSequence: number): Statement[] {
  expectRole(s, "request", "markExported");
  const now = s.clock.now().toISOString();
  const out: Statement[] = [];
  for (const json of jsonChunks([...new Set(requestIds)])) {
    out.push(
      raw(
        s,
        sql`INSERT INTO request_events (request_id, status, at, network, batch_sequence, detail)
        SELECT q.id, 'exported', ${now}, ${s.config.networkId}, ${batchSequence}, NULL
        FROM requests AS q
        WHERE q.id IN (SELECT value FROM json_each(${json}))
        ON CONFLICT DO NOTHING`,
      ),
      raw(s, sql`UPDATE requests SET status = 'exported', updated_at = ${now} WHERE id IN (SELECT value FROM json_each(${json})) AND +status = 'submitted'`), // + : look rows up by id, not by status
    );
  }
  return out;
}

/** A record as the importer holds it (the batch envelope: `kind` and the payload in `data`). */
export interface AppliedRecord {
  kind: string;
  data: Record<string, unknown>;
}

/**
 * After the batch committed: delete the cache entries of the requests whose
 * response or status arrived. Never throws (the ETag check keeps reads correct
 * even if this fails while the cache store is down).
 */
export async function afterApply(s: Services, applied: readonly AppliedRecord[]): Promise<{ invalidated: number }> {
  const ids: string[] = [];
  for (const r of applied) {
    if (r.kind === "response" && typeof r.data.request_id === "string") ids.push(r.data.request_id);
    else if (r.kind === "request_status" && typeof r.data.id === "string") ids.push(r.data.id);
  }
  return { invalidated: await invalidateResponses(s, ids) };
}
