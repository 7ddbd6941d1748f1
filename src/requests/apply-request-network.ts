// What the request network (the replica) applies: statuses and responses from the master, the
// "exported" mark of the requests a batch carried, and the cache invalidation after a batch
// (apply.ts explains how the appliers build their statements).
import { sql } from "drizzle-orm";
import type { Services } from "../services.ts";
import { jsonChunks } from "../lib/chunks.ts";
import type { Statement } from "../deps/db/database.ts";
import type { ApplyContext } from "../transfer/contract.ts";
import type { RequestStatusRecord, ResponseRecord } from "./records.ts";
import { invalidateResponses } from "./response-cache.ts";
import { wakeWaiters } from "./wait.ts";
import { expectRole, j, latest, raw } from "./apply-sql.ts";
import { queueRequestEvent } from "../webhooks/events.ts";

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
    // Webhooks, before the UPDATE below moves master_version: the master received the request
    // (its events say so, even when a later status of the same batch replaced it), or cancelled it.
    out.push(
      queueRequestEvent(s, {
        from: sql`json_each(${json}) AS r CROSS JOIN requests AS q`,
        where: sql`q.id = ${j("id")} AND ${j("version")} > q.master_version AND q.status IN ('submitted', 'exported')
          AND EXISTS (SELECT 1 FROM json_each(json_extract(r.value, '$.events')) AS e WHERE json_extract(e.value, '$.status') = 'received')`,
        event: sql`'request.received'`,
        status: sql`'received'`,
      }),
      queueRequestEvent(s, {
        from: sql`json_each(${json}) AS r CROSS JOIN requests AS q`,
        where: sql`q.id = ${j("id")} AND ${j("version")} > q.master_version AND ${j("status")} = 'cancelled' AND q.status <> 'cancelled'`,
        event: sql`'request.cancelled'`,
        status: sql`'cancelled'`,
      }),
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
    // Webhooks, before the response is stored: a first answer or rejection (a correction of the same kind is not a new event).
    out.push(
      queueRequestEvent(s, {
        from: sql`json_each(${json}) AS r CROSS JOIN requests AS q LEFT JOIN responses AS p ON p.request_id = q.id`,
        where: sql`q.id = ${j("request_id")} AND ${j("version")} > COALESCE(p.version, 0) AND (p.kind IS NULL OR p.kind <> ${j("kind")})`,
        event: sql`CASE ${j("kind")} WHEN 'answer' THEN 'request.answered' ELSE 'request.rejected' END`,
        status: sql`CASE ${j("kind")} WHEN 'answer' THEN 'answered' ELSE 'rejected' END`,
      }),
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
  if (ids.length) wakeWaiters();
  return { invalidated: await invalidateResponses(s, ids) };
}
