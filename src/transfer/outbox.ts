import { outbox } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError, bodyIssuesError } from "../errors.ts";
import { jsonPointer } from "../lib/json-limits.ts";
import { KIND_BY_NAME } from "../record-kinds.ts";
import { utf8Length } from "./batch/index.ts";
import { sendsKind } from "./contract.ts";

/** Room in a batch line for the record's envelope (`{"kind":…,"id":…,"version":…,"data":…}\n`). */
export const RECORD_ENVELOPE_MARGIN = 1_024;

/**
 * The transactional-outbox seam: callers put this statement in the SAME
 * `db.batch` as the change it records, so a change is never lost nor sent
 * without having happened. What a network exports, its peer accepts: the
 * payload is checked here with the very schema the peer's importer applies, and
 * against the batch size, so a record that could never be imported or exported
 * is refused (the caller's 4xx, thrown before anything is written) instead of
 * created. `pointerOf` maps a path in the record to the client's field.
 */
export function outboxInsert(s: Services, kind: string, entityId: string, version: number, payload: Record<string, unknown>, pointerOf = (path: string[]) => jsonPointer(path)) {
  const k = KIND_BY_NAME.get(kind);
  if (!k || !sendsKind(k, s.config.role)) throw new Error(`the ${s.config.role} network does not own "${kind}" records`);
  const parsed = k.schema.safeParse(payload);
  if (!parsed.success) throw bodyIssuesError(parsed.error.issues, (path) => pointerOf(path.map(String)), `the ${kind} record this would send to the other network`);
  const json = JSON.stringify(payload);
  const bytes = utf8Length(json);
  const max = s.config.transfer.maxRawBytes - RECORD_ENVELOPE_MARGIN;
  if (bytes > max) {
    throw new ApiError("payload_too_large", {
      detail: `the ${kind} record would be ${bytes} bytes, more than fits one batch (AIRLOCK_BATCH_MAX_BYTES ${s.config.transfer.maxRawBytes} minus ${RECORD_ENVELOPE_MARGIN} for its envelope)`,
      errors: [{ pointer: "/body", detail: `at most ${max} bytes for the whole ${kind} record as JSON` }],
      extra: { limit: "AIRLOCK_BATCH_MAX_BYTES", max_record_bytes: max },
    });
  }
  return s.db.orm.insert(outbox).values({ kind, entityId, version, payload: json, createdAt: s.clock.now().toISOString() });
}
