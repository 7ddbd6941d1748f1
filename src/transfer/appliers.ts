import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import type { BatchRecord } from "./batch/index.ts";
import { applyApiKeyRevocations, applyApiKeys, applyPeerAudit, applyUsers } from "./apply-identity.ts";
import { afterApply, applyRequestStatuses, applyRequests, applyResponses } from "../requests/apply.ts";

export interface ApplyContext {
  batchSequence: number;
  receivedAt: string;
}
export type Applier = (s: Services, rows: Array<Record<string, unknown>>, ctx: ApplyContext) => Statement[];
export type AfterApply = (s: Services, records: BatchRecord[]) => Promise<void>;

/** Statement builders per record kind, in the order kinds are applied within one batch. */
export const APPLIERS: Array<[kind: string, apply: Applier]> = [
  ["user", (s, rows, ctx) => applyUsers(s, rows, ctx.receivedAt)],
  ["api_key", (s, rows) => applyApiKeys(s, rows)],
  ["api_key_revocation", (s, rows) => applyApiKeyRevocations(s, rows)],
  ["audit", (s, rows) => applyPeerAudit(s, rows, s.config.peerNetworkId)],
  ["request", applyRequests],
  ["request_status", applyRequestStatuses],
  ["response", applyResponses],
];

/** Post-commit work (e.g. cache invalidation); failures are logged, never undo the import. */
export const AFTER_APPLY: AfterApply[] = [
  // Responses and status changes that arrived invalidate their cache entries.
  async (s, records) => {
    await afterApply(s, records);
  },
];
