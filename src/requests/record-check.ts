import type { z } from "zod";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { checkJson, jsonPointer } from "../lib/json-limits.ts";
import { bodyIssuesError } from "../middleware/problems.ts";

/**
 * What a network exports, its peer accepts: a record is checked with the very
 * schema the peer's importer applies, and against the batch size, BEFORE it
 * enters the outbox. A failure is the client's 4xx problem and nothing is
 * written; a record that could never be imported or exported is never created.
 */

/** Room in a batch line for the record's envelope (`{"kind":…,"id":…,"version":…,"data":…}\n`). */
export const RECORD_ENVELOPE_MARGIN = 1_024;

const enc = new TextEncoder();

/** Refuses a JSON value outside the limits (before anything recursive, like JSON.stringify, touches it). */
export function assertJsonValue(value: unknown, pointer: string): void {
  const issue = checkJson(value);
  if (!issue) return;
  const at = jsonPointer(issue.path, pointer);
  throw new ApiError("invalid_json", { detail: `${at || "/"}: ${issue.message}`, errors: [{ pointer: at, detail: issue.message }] });
}

/**
 * `record` as its receiver validates it. `pointerOf` maps a path in the record
 * to the client's field; by default they are the same (`body`, `topic`, …).
 */
export function assertRecordCrosses(s: Services, kind: string, schema: z.ZodType, record: Record<string, unknown>, pointerOf = (path: string[]) => jsonPointer(path)): void {
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    throw bodyIssuesError(parsed.error.issues, (path) => pointerOf(path.map(String)), `the ${kind} record this would send to the other network`);
  }
  const bytes = enc.encode(JSON.stringify(record)).length;
  const max = s.config.transfer.maxRawBytes - RECORD_ENVELOPE_MARGIN;
  if (bytes > max) {
    throw new ApiError("payload_too_large", {
      detail: `the ${kind} record would be ${bytes} bytes, more than fits one batch (AIRLOCK_BATCH_MAX_BYTES ${s.config.transfer.maxRawBytes} minus ${RECORD_ENVELOPE_MARGIN} for its envelope)`,
      errors: [{ pointer: "/body", detail: `at most ${max} bytes for the whole ${kind} record as JSON` }],
      extra: { limit: "AIRLOCK_BATCH_MAX_BYTES", max_record_bytes: max },
    });
  }
}
