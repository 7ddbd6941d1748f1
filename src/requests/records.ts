import { z } from "zod";
import type { requests, responses } from "../../schema/index.ts";
import { isWellFormed, jsonValueSchema, type JsonValue } from "../lib/json-limits.ts";

// The records requests and responses travel as (the transfer's contract; docs/requests.md).
// The importer validates every record with these schemas before applying anything.

const iso = z.string().min(1).max(40);
// Text the receiver stores: a lone surrogate cannot be stored as UTF-8 (it would silently become U+FFFD).
const wellFormed = (t: z.ZodString) => t.refine(isWellFormed, "not well-formed Unicode (lone surrogate)");
const id = z.string().min(1).max(64);

export const REQUEST_STATUSES = ["submitted", "exported", "received", "processing", "answered", "rejected", "cancelled"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
/** Statuses a request never leaves (only an answer's correction may follow `answered`). */
export const FINAL_STATUSES = ["answered", "rejected", "cancelled"] as const satisfies readonly RequestStatus[];
/** Statuses the response network sets. */
export const MASTER_STATUSES = ["received", "processing", "answered", "rejected", "cancelled"] as const satisfies readonly RequestStatus[];

/** Request network → master: a request's own fields; `version` is the request network's `replica_version`. */
export const RequestRecordSchema = z.object({
  id,
  user_id: id,
  api_key_id: id.nullable(),
  topic: z.string().min(1).max(200),
  body: jsonValueSchema(),
  priority: z.number().int().min(0).max(9),
  created_at: iso,
  cancelled_at: iso.nullable(),
  version: z.number().int().positive(),
});
export type RequestRecord = z.infer<typeof RequestRecordSchema>;

/** Master → request network: the status after receipt; `version` is the master's `master_version`. */
export const RequestStatusRecordSchema = z.object({
  id,
  status: z.enum(MASTER_STATUSES),
  version: z.number().int().positive(),
  events: z.array(z.object({ status: z.string().min(1).max(32), at: iso, detail: z.string().max(2000).nullish() })).max(20),
});
export type RequestStatusRecord = z.infer<typeof RequestStatusRecordSchema>;

/** Master → request network: the answer or the rejection; `body` is the stored text (JSON text for JSON types). */
export const ResponseRecordSchema = z.object({
  request_id: id,
  kind: z.enum(["answer", "rejection"]),
  body: wellFormed(z.string()).nullable(),
  content_type: z.string().max(200).nullable(),
  reason: wellFormed(z.string().max(2000)).nullable(),
  answered_by: z.string().max(128).nullable(),
  answered_at: iso,
  version: z.number().int().positive(),
});
export type ResponseRecord = z.infer<typeof ResponseRecordSchema>;

export type RequestRow = typeof requests.$inferSelect;
export type ResponseRow = typeof responses.$inferSelect;

export function requestRecord(r: RequestRow): RequestRecord {
  return {
    id: r.id,
    user_id: r.userId,
    api_key_id: r.apiKeyId,
    topic: r.topic,
    body: JSON.parse(r.body) as JsonValue,
    priority: r.priority,
    created_at: r.createdAt,
    cancelled_at: r.cancelledAt,
    version: r.replicaVersion,
  };
}

export function responseRecord(r: ResponseRow): ResponseRecord {
  return {
    request_id: r.requestId,
    kind: r.kind,
    body: r.body,
    content_type: r.contentType,
    reason: r.reason,
    answered_by: r.answeredBy,
    answered_at: r.answeredAt,
    version: r.version,
  };
}
