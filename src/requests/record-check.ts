import { ApiError } from "../errors.ts";
import { checkJson, jsonPointer } from "../lib/json-limits.ts";

/**
 * Refuses a JSON value outside the limits, before anything recursive (JSON.stringify,
 * fingerprints, storage) touches it. The record that carries it is checked with the
 * peer's schema when it enters the outbox (src/transfer/outbox.ts).
 */
export function assertJsonValue(value: unknown, pointer: string): void {
  const issue = checkJson(value);
  if (!issue) return;
  const at = jsonPointer(issue.path, pointer);
  throw new ApiError("invalid_json", { detail: `${at || "/"}: ${issue.message}`, errors: [{ pointer: at, detail: issue.message }] });
}
