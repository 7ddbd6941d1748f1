// The request records that cross the gap: requests (replica → master), their status and the
// answer or rejection (master → replica).
import type { RecordKind } from "../transfer/contract.ts";
import { applyRequestStatuses, applyRequests, applyResponses, markExported } from "./apply.ts";
import { RequestRecordSchema, RequestStatusRecordSchema, ResponseRecordSchema, type RequestRecord, type RequestStatusRecord, type ResponseRecord } from "./records.ts";
import { invalidateResponses } from "./response-cache.ts";
import { wakeWaiters } from "./wait.ts";

export const requestKind: RecordKind<RequestRecord> = {
  kind: "request",
  owner: "request",
  schemaVersion: 1,
  schema: RequestRecordSchema,
  idOf: (d) => d.id,
  apply: applyRequests,
  // Requests carried for the first time become "exported", with this batch in their timeline.
  afterExport: (s, ids, sequence) => markExported(s, ids, sequence),
};

export const requestStatusKind: RecordKind<RequestStatusRecord> = {
  kind: "request_status",
  owner: "response",
  schemaVersion: 1,
  schema: RequestStatusRecordSchema,
  idOf: (d) => d.id,
  apply: applyRequestStatuses,
  // A status that arrived invalidates the cached response (the ETag check keeps reads right meanwhile).
  afterApply: async (s, rows) => {
    wakeWaiters(); // a waiting read of a cancelled or rejected request ends too
    await invalidateResponses(
      s,
      rows.map((r) => r.id),
    );
  },
};

export const responseKind: RecordKind<ResponseRecord> = {
  kind: "response",
  owner: "response",
  schemaVersion: 1,
  schema: ResponseRecordSchema,
  idOf: (d) => d.request_id,
  apply: applyResponses,
  afterApply: async (s, rows) => {
    wakeWaiters();
    await invalidateResponses(
      s,
      rows.map((r) => r.request_id),
    );
  },
};
