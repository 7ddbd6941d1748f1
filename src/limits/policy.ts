import { z } from "zod";
import { describeIssues } from "../lib/zod-issues.ts";
import { ROLES, type Role } from "../identity/roles.ts";

/**
 * Quota policies: how many requests an identity may make per minute, hour and
 * day. Pure data and validation; the limiter counts, quotas.ts decides who gets which.
 */
export const WINDOWS = ["minute", "hour", "day"] as const;
export type WindowName = (typeof WINDOWS)[number];
export const WINDOW_SECONDS: Record<WindowName, number> = { minute: 60, hour: 3_600, day: 86_400 };

/** A quota for every window. 0 means "no requests in this window" (an admin's choice, never a default). */
export type Policy = Record<WindowName, number>;
export type PolicySource = "role_default" | "user_override" | "key_override";

/** The partitions that are not roles: unauthenticated login/refresh attempts per client IP and per target account. */
export const LOGIN_PARTITIONS = ["login_ip", "login_account"] as const;
export type PolicyName = Role | (typeof LOGIN_PARTITIONS)[number];

export const DEFAULT_POLICIES: Record<PolicyName, Policy> = {
  user: { minute: 60, hour: 1_000, day: 10_000 },
  operator: { minute: 120, hour: 3_000, day: 30_000 },
  admin: { minute: 120, hour: 3_000, day: 30_000 },
  // Couriers poll and move every batch (the automatic ferry: ~6 calls per direction every 3 s).
  courier: { minute: 1_000, hour: 30_000, day: 300_000 },
  // Logins cost ~25-40 ms of CPU each (PBKDF2): keep them scarce.
  login_ip: { minute: 20, hour: 200, day: 1_000 },
  login_account: { minute: 10, hour: 50, day: 200 },
};

const quota = z.number({ message: "expected a whole number of requests" }).int("expected a whole number of requests").min(0, "must be 0 or more").max(1_000_000_000);

/** A partial policy: the windows it names replace the defaults, the others keep them. */
export const RateLimitOverrideSchema = z.object({ minute: quota.optional(), hour: quota.optional(), day: quota.optional() }).strict();
export type PolicyOverride = z.infer<typeof RateLimitOverrideSchema>;

/** `AIRLOCK_RATE_LIMITS`: role (and login partition) → partial policy, merged over DEFAULT_POLICIES. */
export const RateLimitsSettingSchema = z
  .object(
    Object.fromEntries([...ROLES, ...LOGIN_PARTITIONS].map((n) => [n, RateLimitOverrideSchema.optional()])) as Record<PolicyName, z.ZodOptional<typeof RateLimitOverrideSchema>>,
  )
  .strict();

/** Parses the AIRLOCK_RATE_LIMITS JSON; throws an Error whose message names the bad member. */
export function parseRateLimitsSetting(json: string): Record<PolicyName, Policy> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error(`expected JSON like {"user":{"minute":60,"hour":1000,"day":10000}}`);
  }
  const parsed = RateLimitsSettingSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${describeIssues(parsed.error)} (roles: ${ROLES.join(", ")}; also ${LOGIN_PARTITIONS.join(", ")})`);
  const out = {} as Record<PolicyName, Policy>;
  for (const name of Object.keys(DEFAULT_POLICIES) as PolicyName[]) out[name] = { ...DEFAULT_POLICIES[name], ...stripUndefined(parsed.data[name]) };
  return out;
}

function stripUndefined(o: PolicyOverride | undefined): Partial<Policy> {
  const out: Partial<Policy> = {};
  for (const w of WINDOWS) if (o?.[w] !== undefined) out[w] = o[w];
  return out;
}

/**
 * Validates a per-user or per-key override (`users.rate_limits`, `api_keys.rate_limits`),
 * given as JSON text or as an object. Accepts `{minute?, hour?, day?}`; a map keyed by
 * role (or "default") is accepted too and resolved for `role`. Throws on anything else.
 * Returns null for "no override".
 */
export function parseRateLimitOverride(raw: unknown, role?: Role): Partial<Policy> | null {
  let value = raw;
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "string") value = JSON.parse(value);
  if (value === null) return null;
  if (typeof value === "object" && !Array.isArray(value) && !WINDOWS.some((w) => w in (value as object))) {
    const byRole = value as Record<string, unknown>;
    value = (role && byRole[role]) ?? byRole.default;
    if (value === undefined) return null;
  }
  const parsed = RateLimitOverrideSchema.safeParse(value);
  if (!parsed.success) throw new Error(describeIssues(parsed.error));
  const out = stripUndefined(parsed.data);
  return Object.keys(out).length ? out : null;
}

export interface EffectiveWindow {
  window: WindowName;
  limit: number;
  seconds: number;
  source: PolicySource;
}

/** Role default, then the user's override, then the key's own quota, window by window. */
export function effectivePolicy(defaults: Policy, userOverride: Partial<Policy> | null, keyOverride: Partial<Policy> | null = null): EffectiveWindow[] {
  return WINDOWS.map((window) => {
    let limit = defaults[window];
    let source: PolicySource = "role_default";
    if (userOverride?.[window] !== undefined) {
      limit = userOverride[window]!;
      source = "user_override";
    }
    if (keyOverride?.[window] !== undefined) {
      limit = keyOverride[window]!;
      source = "key_override";
    }
    return { window, limit, seconds: WINDOW_SECONDS[window], source };
  });
}

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-11 §3): `"minute";q=60;w=60, "hour";q=1000;w=3600, ...`. */
export function policyHeader(windows: ReadonlyArray<{ window: string; limit: number; seconds: number }>): string {
  return windows.map((w) => `"${w.window}";q=${w.limit};w=${w.seconds}`).join(", ");
}
