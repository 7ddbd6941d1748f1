import type { Services } from "../services.ts";
import type { Principal, Role } from "../identity/roles.ts";
import { effectivePolicy, parseRateLimitOverride, policyHeader, type EffectiveWindow, type Policy } from "./policy.ts";
import type { QuotaWindow } from "../deps/ratelimit/ratelimit.ts";

/**
 * Which quota applies to whom. Identity: the user id; an API key with its own
 * quota (`api_keys.rate_limits`) is limited as `key:<id>`, other keys share
 * their owner's quota; the courier token is `courier`. Policy: the role's
 * default, then the user's override (`users.rate_limits`), then the key's own,
 * window by window.
 */

export interface ResolvedLimits {
  identity: string;
  windows: EffectiveWindow[];
}

/** A stored override; an unreadable one is logged and ignored (the role default applies), never fatal. */
function storedOverride(s: Services, raw: string | null | undefined, role: Role, where: string): Partial<Policy> | null {
  try {
    return parseRateLimitOverride(raw ?? null, role);
  } catch (e) {
    s.logger.log("warn", "ignoring an invalid rate-limit override", { where, error: (e as Error).message });
    return null;
  }
}

/** The user's limits: role default and their override. */
export function userLimits(s: Services, user: { id: string; role: Role; rateLimits: string | null }): ResolvedLimits {
  const o = storedOverride(s, user.rateLimits, user.role, `users/${user.id}`);
  return { identity: user.id, windows: effectivePolicy(s.config.rateLimits.policies[user.role], o) };
}

/** A key's limits: its own quota (identity `key:<id>`) over its owner's, or exactly its owner's when it has none. */
export function keyLimits(s: Services, owner: { id: string; role: Role; rateLimits: string | null }, key: { id: string; rateLimits: string | null }): ResolvedLimits {
  const own = storedOverride(s, key.rateLimits, owner.role, `api_keys/${key.id}`);
  if (!own) return userLimits(s, owner);
  const userO = storedOverride(s, owner.rateLimits, owner.role, `users/${owner.id}`);
  return { identity: `key:${key.id}`, windows: effectivePolicy(s.config.rateLimits.policies[owner.role], userO, own) };
}

/** The identity and windows of a principal, from the overrides the auth middleware read with the account (no query here). */
export function limitsFor(s: Services, p: Principal): ResolvedLimits {
  if (p.type === "courier") return { identity: "courier", windows: effectivePolicy(s.config.rateLimits.policies.courier, null) };
  // A scraper reads what an operator may: it counts under the operator policy, as one identity.
  if (p.type === "metrics") return { identity: "metrics", windows: effectivePolicy(s.config.rateLimits.policies.operator, null) };
  const owner = { id: p.userId, role: p.role, rateLimits: p.rateLimits };
  return p.type === "api_key" ? keyLimits(s, owner, { id: p.apiKeyId, rateLimits: p.keyRateLimits }) : userLimits(s, owner);
}

export const quotaOf = (windows: EffectiveWindow[]): QuotaWindow[] => windows.map((w) => ({ name: w.window, limit: w.limit, seconds: w.seconds }));

export interface RequestLimits extends ResolvedLimits {
  quota: QuotaWindow[];
  /** The RateLimit-Policy header. */
  policy: string;
}

// Per principal object: the principal cache hands out the same object while it holds an entry, so a
// known credential's overrides are parsed once, not on every request.
const resolved = new WeakMap<Principal, RequestLimits>();

/** limitsFor with the limiter's windows and the policy header, worked out once per principal. */
export function requestLimitsFor(s: Services, p: Principal): RequestLimits {
  let r = resolved.get(p);
  if (!r) {
    const l = limitsFor(s, p);
    r = { ...l, quota: quotaOf(l.windows), policy: policyHeader(l.windows) };
    resolved.set(p, r);
  }
  return r;
}
