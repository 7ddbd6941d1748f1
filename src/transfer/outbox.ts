import { outbox } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { KIND_BY_NAME } from "../record-kinds.ts";
import { parseRecordData, sendsKind } from "./contract.ts";

/**
 * The transactional-outbox seam: callers put this statement in the SAME
 * `db.batch` as the change it records, so a change is never lost nor sent
 * without having happened. The payload is checked here with the very schema the
 * peer applies, so nothing enters the outbox that the peer would refuse.
 */
export function outboxInsert(s: Services, kind: string, entityId: string, version: number, payload: Record<string, unknown>) {
  const k = KIND_BY_NAME.get(kind);
  if (!k || !sendsKind(k, s.config.role)) throw new Error(`the ${s.config.role} network does not own "${kind}" records`);
  const parsed = parseRecordData(k, payload, k.schemaVersion);
  if (!parsed.ok) throw new ApiError("record_not_transferable", { detail: `the ${kind} record would be refused by the other network: ${parsed.reason}` });
  return s.db.orm.insert(outbox).values({ kind, entityId, version, payload: JSON.stringify(payload), createdAt: s.clock.now().toISOString() });
}
