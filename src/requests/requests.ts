import { z } from "zod";
import { and, asc, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { requestEvents, requests } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Principal } from "../identity/roles.ts";
import { ApiError } from "../errors.ts";
import { newId } from "../lib/ids.ts";
import { outboxInsert } from "../transfer/outbox.ts";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import type { Statement } from "../deps/db/database.ts";
import { FINAL_STATUSES, requestRecord, type RequestRow, type RequestStatus } from "./records.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";
import { assertJsonValue } from "./record-check.ts";
import { fingerprintOf, once, type RecordKey } from "./idempotency.ts";
import { estimateAnswer, type Estimate } from "./estimate.ts";
import { queueCancelled } from "../webhooks/events.ts";

export type EventRow = typeof requestEvents.$inferSelect;

export interface SubmitInput {
  topic: string;
  body: unknown;
  priority?: number;
}

const enc = new TextEncoder();

/** Who submits requests and reads their own (operators and admins read everyone's). */
export const SUBMITTERS = ["admin", "operator", "user"] as const;

/** Operators and admins see every request; everyone else only their own. */
export const seesAllRequests = (p: Principal) => p.role === "admin" || p.role === "operator";

/** Users see their own requests; operators and admins see all. Anyone else's is "not found" (ids can't be probed). */
export function canSee(p: Principal, r: Pick<RequestRow, "userId">): boolean {
  return seesAllRequests(p) || (p.userId !== null && r.userId === p.userId);
}

/** The one user whose requests `p` may see, or null when they may see everyone's (lists and search filter by it). */
export const visibleOwner = (p: Principal): string | null => (seesAllRequests(p) ? null : (p.userId ?? ""));

export async function getRequest(s: Services, id: string): Promise<RequestRow | undefined> {
  return s.db.orm.select().from(requests).where(eq(requests.id, id)).get();
}

export async function visibleRequest(s: Services, p: Principal, id: string): Promise<RequestRow> {
  const row = await getRequest(s, id);
  if (!row || !canSee(p, row)) throw new ApiError("not_found", { detail: "no such request" });
  return row;
}

export interface RequestFilter {
  statuses?: RequestStatus[];
  /** ISO 8601: created at or after, created before. */
  createdAfter?: string;
  createdBefore?: string;
  topic?: string;
  /** Operators and admins: one user's requests (ignored for others, who see only their own). */
  userId?: string;
}

const NEWEST_FIRST = keyset<RequestRow>([
  { name: "c", column: requests.createdAt, order: "desc", cursor: z.string(), of: (r) => r.createdAt },
  { name: "i", column: requests.id, order: "desc", cursor: z.string(), of: (r) => r.id },
]);

/** The requests `viewer` may see, newest first. */
export function listRequests(s: Services, viewer: Principal, f: RequestFilter, req: PageRequest): Promise<Page<RequestRow>> {
  const owner = visibleOwner(viewer) ?? (f.userId || undefined);
  const where: Array<SQL | undefined> = [
    owner !== undefined ? eq(requests.userId, owner) : undefined,
    f.statuses?.length ? inArray(requests.status, f.statuses) : undefined,
    f.createdAfter ? gte(requests.createdAt, f.createdAfter) : undefined,
    f.createdBefore ? lt(requests.createdAt, f.createdBefore) : undefined,
    f.topic ? eq(requests.topic, f.topic) : undefined,
  ];
  return NEWEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(requests)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}

export async function timelineOf(s: Services, id: string): Promise<EventRow[]> {
  return s.db.orm.select().from(requestEvents).where(eq(requestEvents.requestId, id)).orderBy(asc(requestEvents.at), asc(requestEvents.id)).all();
}

export const isFinal = (status: string) => (FINAL_STATUSES as readonly string[]).includes(status);

/** The list shape (no body, no timeline). */
export function requestSummary(r: RequestRow) {
  return {
    id: r.id,
    user_id: r.userId,
    topic: r.topic,
    priority: r.priority,
    status: r.status,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    cancelled_at: r.cancelledAt,
    answered_at: r.answeredAt,
  };
}

/** The full shape: body, timeline and, while pending, the estimate. */
export function publicRequest(r: RequestRow, timeline: EventRow[], estimate: Estimate | null) {
  return {
    ...requestSummary(r),
    api_key_id: r.apiKeyId,
    body: JSON.parse(r.body) as unknown,
    timeline: timeline.map((e) => ({ status: e.status, at: e.at, network: e.network, batch_sequence: e.batchSequence, detail: e.detail })),
    estimated_answer_at: estimate?.at ?? null,
    estimate: estimate ? { based_on: estimate.basedOn, sample_size: estimate.sampleSize, median_seconds: estimate.medianSeconds } : null,
    links: { self: `/v1/requests/${r.id}`, response: `/v1/requests/${r.id}/response` },
  };
}
export type PublicRequest = ReturnType<typeof publicRequest>;

export async function describeRequest(s: Services, r: RequestRow): Promise<PublicRequest> {
  const [timeline, estimate] = await Promise.all([timelineOf(s, r.id), isFinal(r.status) ? null : estimateAnswer(s, r)]);
  return publicRequest(r, timeline, estimate);
}

function assertRequestNetwork(s: Services, what: string) {
  if (s.config.role !== "request") throw new ApiError("owned_by_other_network", { detail: `${what} happens on the request network, which owns requests` });
}

/** Size of the body as stored (JSON text, UTF-8). */
export const jsonBytes = (v: unknown) => enc.encode(JSON.stringify(v)).length;

export const eventStatement = (s: Services, e: Omit<typeof requestEvents.$inferInsert, "id">): Statement => s.db.orm.insert(requestEvents).values(e).onConflictDoNothing();

/**
 * Submits a request on the request network: the row, its first timeline event,
 * its outbox record and (with an Idempotency-Key) the key's outcome, in one
 * atomic batch.
 */
export async function submitRequest(
  s: Services,
  p: Principal & { userId: string },
  input: SubmitInput,
  idempotencyKey?: string,
): Promise<{ status: 202; body: PublicRequest | unknown; replayed: boolean }> {
  assertRequestNetwork(s, "submitting a request");
  // Depth first: everything below (size, fingerprint, storage) walks the value recursively.
  assertJsonValue(input.body, "/body");
  const max = s.config.requests.maxBodyBytes;
  if (jsonBytes(input.body) > max) {
    throw new ApiError("payload_too_large", { detail: `the request body exceeds ${max} bytes as JSON`, errors: [{ pointer: "/body", detail: `at most ${max} bytes as JSON` }] });
  }
  const payload = { topic: input.topic, body: input.body, priority: input.priority ?? 0 };
  const now = s.clock.now().toISOString();
  const row: RequestRow = {
    id: newId("req"),
    userId: p.userId,
    apiKeyId: p.type === "api_key" ? p.apiKeyId : null,
    topic: payload.topic,
    body: JSON.stringify(payload.body),
    priority: payload.priority,
    status: "submitted",
    createdAt: now,
    updatedAt: now,
    cancelledAt: null,
    replicaVersion: 1,
    masterVersion: 0,
    answeredAt: null,
    claimedBy: null,
    claimExpiresAt: null,
    processorAttempts: 0,
    processorNextAt: null,
    processorError: null,
  };
  // Built (and so checked as the master's importer will check it) before anything is written.
  const toOutbox = outboxInsert(s, "request", row.id, row.replicaVersion, requestRecord(row));
  const event: EventRow = { id: 0, requestId: row.id, status: "submitted", at: now, network: s.config.networkId, batchSequence: null, detail: null };
  // One atomic batch, one commit: the key's record (first, so a lost race fails early), the row, its event, its outbox record.
  const write = async (record?: RecordKey) => {
    const body = publicRequest(row, [event], await estimateAnswer(s, row));
    const statements: Statement[] = [
      ...(record ? record(202, body) : []),
      s.db.orm.insert(requests).values(row),
      eventStatement(s, { requestId: row.id, status: "submitted", at: now, network: s.config.networkId }),
      toOutbox,
    ];
    await s.db.batch(statements as [Statement, ...Statement[]]);
    return body;
  };
  if (idempotencyKey === undefined) return { status: 202, body: await write(), replayed: false };
  const outcome = await once(s, p.userId, idempotencyKey, await fingerprintOf(payload), write);
  return "replay" in outcome ? { status: 202, body: outcome.replay.body, replayed: true } : { status: 202, body: outcome.result, replayed: false };
}

/** Operators see everyone's requests but cancel only their own; admins any. */
export const mayCancel = (p: Principal, r: Pick<RequestRow, "userId">) => r.userId === p.userId || p.role === "admin";

/** Cancels a request as `p` (the API's cancel and the console's): one it may see and may cancel. */
export async function cancelRequestAs(s: Services, p: Principal, id: string): Promise<RequestRow> {
  const row = await visibleRequest(s, p, id);
  if (!mayCancel(p, row)) throw new ApiError("forbidden", { detail: "only the requester or an admin may cancel a request" });
  return cancelRequest(s, row);
}

/**
 * Cancels a request until it is answered. The cancellation is the request
 * network's change (a new replica_version) and travels to the master, which
 * stops work on it unless it has answered already.
 */
export async function cancelRequest(s: Services, r: RequestRow): Promise<RequestRow> {
  assertRequestNetwork(s, "cancelling a request");
  if (r.status === "cancelled") return r; // cancelling twice changes nothing
  if (r.status === "answered" || r.status === "rejected") {
    throw new ApiError("request_not_cancellable", { detail: `the request is already ${r.status}`, extra: { request_status: r.status } });
  }
  const now = s.clock.now().toISOString();
  const next: RequestRow = { ...r, status: "cancelled", cancelledAt: now, updatedAt: now, replicaVersion: r.replicaVersion + 1 };
  const toOutbox = outboxInsert(s, "request", r.id, next.replicaVersion, requestRecord(next));
  try {
    await s.db.batch([
      // Only if nobody changed it meanwhile (an import may have just answered it).
      ...guard(s.db, sql`exists (select 1 from requests where id = ${r.id} and replica_version = ${r.replicaVersion} and master_version = ${r.masterVersion})`),
      s.db.orm.update(requests).set({ status: next.status, cancelledAt: now, updatedAt: now, replicaVersion: next.replicaVersion }).where(eq(requests.id, r.id)),
      eventStatement(s, { requestId: r.id, status: "cancelled", at: now, network: s.config.networkId }),
      queueCancelled(s, r.id),
      toOutbox,
    ]);
  } catch (e) {
    if (!isGuardFailure(e)) throw e;
    const fresh = await getRequest(s, r.id);
    if (!fresh) throw new ApiError("not_found", { detail: "no such request" });
    return cancelRequest(s, fresh); // decide again on what is there now
  }
  return next;
}
