import { z } from "zod";
import { ROLES } from "../auth/roles.ts";
import { OUTBOX_KINDS } from "./outbox.ts";
import type { BatchRecord } from "./batch/index.ts";
import { RequestRecordSchema, RequestStatusRecordSchema, ResponseRecordSchema } from "../requests/records.ts";

const iso = z.string().max(40);
const id = z.string().min(1).max(64);

/** What each record kind's `data` must look like before anything of a batch is applied. */
export const RECORD_SCHEMAS: Record<string, z.ZodType> = {
  user: z.strictObject({
    id,
    email: z.string().max(320),
    emailNormalized: z.string().max(320),
    name: z.string().max(200),
    role: z.enum(ROLES),
    status: z.enum(["active", "disabled"]),
    passwordHash: z.string().min(1).max(512),
    rateLimits: z.string().max(4096).nullable(),
    version: z.number().int().positive(),
    createdAt: iso,
    updatedAt: iso,
  }),
  api_key: z.strictObject({
    id,
    userId: id,
    name: z.string().max(100),
    prefix: z.string().max(32),
    scopes: z.string().max(1024),
    rateLimits: z.string().max(4096).nullable(),
    expiresAt: iso.nullable(),
    lastUsedAt: iso.nullable(),
    createdAt: iso,
    revokedAt: iso.nullable(),
    revokedBy: z.string().max(200).nullable(),
    version: z.number().int().positive(),
  }),
  api_key_revocation: z.strictObject({ id, revoked_at: iso, revoked_by: z.string().max(200).nullable() }),
  audit: z.strictObject({
    seq: z.number().int().positive(),
    id,
    at: iso,
    network: z.string().max(64),
    actorType: z.string().max(32),
    actorId: z.string().max(200).nullable(),
    action: z.string().max(64),
    targetType: z.string().max(64).nullable(),
    targetId: z.string().max(200).nullable(),
    outcome: z.string().max(16),
    requestId: z.string().max(200).nullable(),
    ip: z.string().max(64).nullable(),
    details: z.string().max(16_384).nullable(),
    prevHash: z.string().length(64),
    hash: z.string().length(64),
  }),
  request: RequestRecordSchema,
  request_status: RequestStatusRecordSchema,
  response: ResponseRecordSchema,
};

/**
 * Refuses a record the sending network does not own (a request-network batch
 * can never create or change users, roles or responses), or whose data is not
 * of its kind's shape. Returns the first reason, or null.
 */
export function checkRecords(records: BatchRecord[], senderRole: "request" | "response"): string | null {
  const owned = OUTBOX_KINDS[senderRole] as readonly string[];
  for (const r of records) {
    if (!owned.includes(r.kind)) return `record ${r.kind}/${r.id}: the ${senderRole} network does not own "${r.kind}" records`;
    const schema = RECORD_SCHEMAS[r.kind];
    if (!schema) return `record ${r.kind}/${r.id}: no importer for this kind`;
    const parsed = schema.safeParse(r.data);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return `record ${r.kind}/${r.id}: ${i.path.join(".") || "data"}: ${i.message}`;
    }
    const dataId = (r.data as { id?: unknown; request_id?: unknown }).id ?? (r.data as { request_id?: unknown }).request_id;
    if (dataId !== undefined && dataId !== r.id) return `record ${r.kind}/${r.id}: envelope id does not match data id`;
  }
  return null;
}
