// The zod field types settings are made of (src/config.ts): numbers in a range, yes/no flags,
// comma-separated lists. Each refusal says what was expected.
import { z } from "zod";

/** A whole number from min to max (no max: min or more); out of range, the message says the range unless `message` says it better. */
export function range(min: number, max?: number, opts: { message?: string; fraction?: boolean } = {}) {
  const message = opts.message ?? (max === undefined ? `expected ${min} or more` : `expected ${min} to ${max}`);
  const n = opts.fraction ? z.coerce.number() : z.coerce.number().int();
  return max === undefined ? n.min(min, message) : n.min(min, message).max(max, message);
}
export const bool = (def: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no"], { message: "expected 1/0/true/false/yes/no" })
    .default(def ? "1" : "0")
    .transform((v) => v === "1" || v === "true" || v === "yes");
export const list = () =>
  z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    );
