import { eq, sql } from "drizzle-orm";
import { requests, responses } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { outboxInsert } from "../transfer/outbox.ts";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import type { Statement } from "../deps/db/database.ts";
import { writeWithAudit, type AuditInput } from "../audit/audit.ts";
import { responseRecord, type RequestRow, type RequestStatus, type ResponseRow } from "./records.ts";
import { assertJsonValue } from "./record-check.ts";
import { jsonPointer, textIssue } from "../lib/json-limits.ts";
import { isJsonType } from "./responses.ts";
import { invalidateResponses } from "./response-cache.ts";
import { eventStatement, getRequest } from "./requests.ts";
import type { Principal } from "../identity/roles.ts";

/** Who acts on the master: an operator or admin (by user id), or the processor. */
export interface Actor {
  id: string;
  role: "admin" | "operator" | "system";
  audit: Omit<AuditInput, "action">;
}

/** Who answers, rejects and claims requests (on the response network). */
export const ANSWERERS = ["admin", "operator"] as const;

/** The operator (or admin) acting on the master; anyone else is refused. */
export function answererOf(p: Principal, audit: Omit<AuditInput, "action">): Actor {
  if (!p.userId || (p.role !== "admin" && p.role !== "operator")) throw new ApiError("forbidden");
  return { id: p.userId, role: p.role, audit };
}

/** On the master any request exists for operators; an unknown id is 404. */
export async function answerableRequest(s: Services, id: string): Promise<RequestRow> {
  if (s.config.role !== "response") {
    throw new ApiError("owned_by_other_network", { detail: "requests are answered on the response network, which owns their status after receipt" });
  }
  const row = await getRequest(s, id);
  if (!row) throw new ApiError("not_found", { detail: "no such request" });
  return row;
}

/** The body of an answer or a rejection: the request's new status and the response it got. */
export function answeredView(request: RequestRow, response: ResponseRow) {
  return {
    request_id: request.id,
    status: request.status,
    kind: response.kind,
    content_type: response.contentType,
    reason: response.reason,
    answered_by: response.answeredBy,
    answered_at: response.answeredAt,
    version: response.version,
  };
}

function assertResponseNetwork(s: Services) {
  if (s.config.role !== "response") {
    throw new ApiError("owned_by_other_network", { detail: "requests are answered on the response network, which owns their status after receipt" });
  }
}

const OPEN: RequestStatus[] = ["received", "processing"];

function assertOpen(r: RequestRow, what: string) {
  if (!OPEN.includes(r.status)) {
    throw new ApiError("request_not_answerable", { detail: `the request is ${r.status}; it cannot be ${what}`, extra: { request_status: r.status } });
  }
}

/** Someone else's live claim blocks operators (admins may step in). */
function assertNotClaimedByOther(s: Services, r: RequestRow, actor: Actor) {
  const live = r.claimedBy && r.claimExpiresAt && r.claimExpiresAt > s.clock.now().toISOString();
  if (live && r.claimedBy !== actor.id && actor.role !== "admin") {
    throw new ApiError("request_claimed", {
      detail: `the request is claimed by another operator until ${r.claimExpiresAt}`,
      extra: { claimed_by: r.claimedBy, claim_expires_at: r.claimExpiresAt },
    });
  }
}

interface MasterChange {
  /** New status (omitted: the status stays, e.g. a claim renewal or an answer's correction). */
  status?: RequestStatus;
  detail?: string;
  set?: Partial<RequestRow>;
  response?: ResponseRow;
  audit: AuditInput[];
}

/**
 * One change on the master, atomically: the row (only if still at the version
 * we read), the timeline event, the outbox records (request_status and/or
 * response) and the audit entries. A concurrent change makes it a 409.
 */
async function applyMasterChange(s: Services, r: RequestRow, c: MasterChange): Promise<RequestRow> {
  const now = s.clock.now().toISOString();
  const version = c.status ? r.masterVersion + 1 : r.masterVersion;
  const next: RequestRow = { ...r, ...c.set, status: c.status ?? r.status, masterVersion: version, updatedAt: now };
  const statements: Statement[] = [
    ...guard(s.db, sql`exists (select 1 from requests where id = ${r.id} and master_version = ${r.masterVersion} and status = ${r.status})`),
    s.db.orm
      .update(requests)
      .set({ ...c.set, status: next.status, masterVersion: version, updatedAt: now })
      .where(eq(requests.id, r.id)),
  ];
  // outboxInsert checks both records as the request network's importer will, before anything is written.
  if (c.status) {
    const record = { id: r.id, status: c.status, version, events: [{ status: c.status, at: now, ...(c.detail ? { detail: c.detail } : {}) }] };
    statements.push(
      eventStatement(s, { requestId: r.id, status: c.status, at: now, network: s.config.networkId, detail: c.detail ?? null }),
      outboxInsert(s, "request_status", r.id, version, record, (path) => (path[0] === "events" ? "/reason" : jsonPointer(path))),
    );
  }
  if (c.response) {
    const { requestId: _id, ...rest } = c.response;
    statements.push(
      s.db.orm.insert(responses).values(c.response).onConflictDoUpdate({ target: responses.requestId, set: rest }),
      outboxInsert(s, "response", r.id, c.response.version, responseRecord(c.response)),
    );
  }
  try {
    await writeWithAudit(s, c.audit, statements);
  } catch (e) {
    if (isGuardFailure(e)) throw new ApiError("conflict", { detail: "the request changed while you worked on it; reload it and try again" });
    throw e;
  }
  if (c.response) await invalidateResponses(s, [r.id]);
  return next;
}

/** An operator claims a request for a while (AIRLOCK_CLAIM_TTL_SECONDS); claiming again renews it. */
export async function claimRequest(s: Services, r: RequestRow, actor: Actor): Promise<RequestRow> {
  assertResponseNetwork(s);
  assertOpen(r, "claimed");
  assertNotClaimedByOther(s, r, actor);
  const expires = new Date(s.clock.now().getTime() + s.config.requests.claimTtlSeconds * 1000).toISOString();
  return applyMasterChange(s, r, {
    status: r.status === "received" ? "processing" : undefined,
    set: { claimedBy: actor.id, claimExpiresAt: expires },
    audit: [{ ...actor.audit, action: "request.claim", targetType: "request", targetId: r.id, details: { claim_expires_at: expires } }],
  });
}

export interface AnswerInput {
  body: unknown;
  content_type?: string;
}

/** Stored text of an answer: JSON text for JSON types, the string itself otherwise. */
export function answerText(input: AnswerInput): { text: string; contentType: string } {
  const contentType = input.content_type ?? "application/json";
  if (isJsonType(contentType)) {
    // Depth first: JSON.stringify recurses. The processor's answers come through here too.
    assertJsonValue(input.body ?? null, "/body");
    return { text: JSON.stringify(input.body ?? null), contentType };
  }
  if (typeof input.body !== "string") {
    throw new ApiError("validation_failed", {
      detail: `a ${contentType} answer must be a string; only JSON types take any JSON value`,
      errors: [{ pointer: "/body", detail: "expected a string for a non-JSON content_type" }],
    });
  }
  return { text: input.body, contentType };
}

/**
 * Answers a received (or processing) request; answering an answered request
 * again corrects the answer (a new response version, delivered like the first).
 */
export async function answerRequest(s: Services, r: RequestRow, actor: Actor, input: AnswerInput): Promise<{ request: RequestRow; response: ResponseRow }> {
  assertResponseNetwork(s);
  const existing = await s.db.orm.select().from(responses).where(eq(responses.requestId, r.id)).get();
  const correction = r.status === "answered" && existing?.kind === "answer";
  if (!correction) assertOpen(r, "answered");
  assertNotClaimedByOther(s, r, actor);
  const { text, contentType } = answerText(input);
  const now = s.clock.now().toISOString();
  const response: ResponseRow = {
    requestId: r.id,
    kind: "answer",
    body: text,
    contentType,
    reason: null,
    answeredBy: actor.id,
    answeredAt: now,
    version: (existing?.version ?? 0) + 1,
    deliveredSequence: null,
  };
  const request = await applyMasterChange(s, r, {
    status: correction ? undefined : "answered",
    set: correction ? {} : { answeredAt: now, claimedBy: null, claimExpiresAt: null, processorNextAt: null },
    response,
    audit: [
      {
        ...actor.audit,
        action: correction ? "request.answer_correct" : "request.answer",
        targetType: "request",
        targetId: r.id,
        details: { content_type: contentType, bytes: text.length, version: response.version },
      },
    ],
  });
  return { request, response };
}

export async function rejectRequest(s: Services, r: RequestRow, actor: Actor, reason: string): Promise<{ request: RequestRow; response: ResponseRow }> {
  assertResponseNetwork(s);
  const bad = textIssue(reason);
  if (bad) throw new ApiError("validation_failed", { detail: `/reason: ${bad}`, errors: [{ pointer: "/reason", detail: bad }] });
  assertOpen(r, "rejected");
  assertNotClaimedByOther(s, r, actor);
  const existing = await s.db.orm.select({ version: responses.version }).from(responses).where(eq(responses.requestId, r.id)).get();
  const now = s.clock.now().toISOString();
  const response: ResponseRow = {
    requestId: r.id,
    kind: "rejection",
    body: null,
    contentType: null,
    reason,
    answeredBy: actor.id,
    answeredAt: now,
    version: (existing?.version ?? 0) + 1,
    deliveredSequence: null,
  };
  const request = await applyMasterChange(s, r, {
    status: "rejected",
    detail: reason,
    set: { answeredAt: now, claimedBy: null, claimExpiresAt: null, processorNextAt: null },
    response,
    audit: [{ ...actor.audit, action: "request.reject", targetType: "request", targetId: r.id, details: { reason } }],
  });
  return { request, response };
}

/** The processor marks a request it starts on as processing (with a short claim so operators see who has it). */
export async function startProcessing(s: Services, r: RequestRow, claimMs: number): Promise<RequestRow | null> {
  const expires = new Date(s.clock.now().getTime() + claimMs).toISOString();
  try {
    return await applyMasterChange(s, r, {
      status: r.status === "received" ? "processing" : undefined,
      set: { claimedBy: "processor", claimExpiresAt: expires },
      audit: [],
    });
  } catch (e) {
    if (e instanceof ApiError && e.code === "conflict") return null; // someone else got there first
    throw e;
  }
}
