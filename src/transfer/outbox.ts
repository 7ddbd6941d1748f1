import { outbox } from "../../schema/index.ts";
import type { Services } from "../services.ts";

/**
 * Kinds of record each network may send (docs/architecture.md, "Who owns what").
 * The importer refuses a record of a kind the sender does not own.
 */
export const OUTBOX_KINDS = {
  response: ["user", "api_key_revocation", "request_status", "response"],
  request: ["api_key", "request", "audit"],
} as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[keyof typeof OUTBOX_KINDS][number];

/**
 * The transactional-outbox seam: callers put this statement in the SAME
 * `db.batch` as the change it records, so a change is never lost nor sent
 * without having happened.
 */
export function outboxInsert(s: Services, kind: OutboxKind, entityId: string, version: number, payload: Record<string, unknown>) {
  if (!(OUTBOX_KINDS[s.config.role] as readonly string[]).includes(kind)) {
    throw new Error(`the ${s.config.role} network does not own "${kind}" records`);
  }
  return s.db.orm.insert(outbox).values({ kind, entityId, version, payload: JSON.stringify(payload), createdAt: s.clock.now().toISOString() });
}
