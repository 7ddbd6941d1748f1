import type { ZodError } from "zod";
import { ApiError } from "../../../errors.ts";
import { RateLimitOverrideSchema, WINDOWS, parseRateLimitOverride, type PolicyOverride } from "../../../limits/policy.ts";
import type { FieldErrors } from "../../components/form.tsx";

/** A stored per-user override in a few words ("role default" when there is none). */
export function limitsSummary(raw: string | null): string {
  try {
    const o = parseRateLimitOverride(raw);
    return o
      ? WINDOWS.filter((w) => o[w] !== undefined)
          .map((w) => `${o[w]}/${w}`)
          .join(", ")
      : "role default";
  } catch {
    return "unreadable override (role default applies)";
  }
}

/** The first message per field of a zod error. */
export function issuesByField(error: ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const i of error.issues) errors[String(i.path[0] ?? "form")] ??= i.message;
  return errors;
}

/**
 * The limits form (one whole number per window, blank for the role's default) as the override
 * the API stores in `rate_limits`: null when every field is blank (the override is removed).
 */
export function parseLimitsForm(fields: Record<string, string>): { ok: true; value: PolicyOverride | null } | { ok: false; errors: FieldErrors } {
  const raw: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const w of WINDOWS) {
    const v = (fields[w] ?? "").trim();
    if (v === "") continue;
    if (!/^\d{1,10}$/.test(v)) errors[w] = "Enter a whole number of requests, or leave it blank";
    else raw[w] = Number(v);
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const parsed = RateLimitOverrideSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: issuesByField(parsed.error) };
  return { ok: true, value: Object.keys(parsed.data).length ? parsed.data : null };
}

/** A service's validation problem about the password (the policy) as the password field's message, else undefined. */
export function passwordProblem(e: unknown): string | undefined {
  if (!(e instanceof ApiError) || e.code !== "validation_failed") return undefined;
  const messages = (e.options.errors ?? []).filter((x) => x.pointer === "/password").map((x) => x.detail);
  return messages.length ? messages.join(" ") : undefined;
}
