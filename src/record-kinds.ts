// Every record kind that crosses the gap, in the order kinds are applied within one batch
// (users before the API keys that name them, requests before their statuses).
import type { AnyKind } from "./transfer/contract.ts";
import { apiKeyKind, apiKeyRevocationKind, userKind } from "./identity/kinds.ts";
import { auditKind } from "./audit/kind.ts";
import { requestKind, requestStatusKind, responseKind } from "./requests/kinds.ts";
import { transferReportKind } from "./transfer/reports.ts";

export const RECORD_KINDS: readonly AnyKind[] = [userKind, apiKeyKind, apiKeyRevocationKind, auditKind, requestKind, requestStatusKind, responseKind, transferReportKind];

export const KIND_BY_NAME: ReadonlyMap<string, AnyKind> = new Map(RECORD_KINDS.map((k) => [k.kind, k]));
