import type { Context, MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";
import type { Services } from "../services.ts";
import type { Principal, Role } from "../identity/roles.ts";
import { ApiError } from "../errors.ts";
import { effectivePolicy, parseRateLimitOverride, policyHeader, type EffectiveWindow, type Policy } from "../limits/policy.ts";
import { RateLimiterUnavailable, type LimitDecision, type QuotaWindow, type WindowState } from "../deps/ratelimit/ratelimit.ts";

/**
 * Per-identity quotas on every authenticated request (runs after `authenticate`).
 *
 * Identity: the user id; an API key with its own quota (`api_keys.rate_limits`)
 * is limited as `key:<id>`, other keys share their owner's quota; the courier
 * token is `courier`. Policy: the role's default, then the user's override
 * (`users.rate_limits`), then the key's own, window by window.
 *
 * Headers (draft-ietf-httpapi-ratelimit-headers-11, structured fields):
 *   RateLimit-Policy: "minute";q=60;w=60, "hour";q=1000;w=3600, "day";q=10000;w=86400
 *   RateLimit: "minute";r=12;t=30            the window closest to exhaustion
 *   RateLimit-Warning: "minute";r=12;t=30    every window at or past the soft threshold (ours; the draft has no warning)
 * At the hard limit: 429 `rate_limited` naming the window and when it reopens,
 * with Retry-After (seconds, never before the window lets a request through).
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
  const owner = { id: p.userId, role: p.role, rateLimits: p.rateLimits };
  return p.type === "api_key" ? keyLimits(s, owner, { id: p.apiKeyId, rateLimits: p.keyRateLimits }) : userLimits(s, owner);
}

export const quotaOf = (windows: EffectiveWindow[]): QuotaWindow[] => windows.map((w) => ({ name: w.window, limit: w.limit, seconds: w.seconds }));

/**
 * Runs a limiter call and applies AIRLOCK_RATE_LIMIT_ON_ERROR (logins: AIRLOCK_LOGIN_LIMIT_ON_ERROR) when its backend
 * fails: every such event is counted (limiter.counters) and logged; "open"
 * answers undefined (go on without a limit), "closed" refuses with 503.
 */
export async function guarded<T>(
  s: Services,
  requestId: string | undefined,
  what: string,
  op: () => Promise<T>,
  mode: "open" | "closed" = s.config.rateLimits.onError,
): Promise<T | undefined> {
  try {
    return await op();
  } catch (e) {
    if (!(e instanceof RateLimiterUnavailable)) throw e;
    const counters = s.limiter.counters;
    if (mode === "open") counters.failed_open++;
    else counters.failed_closed++;
    s.logger.log("error", mode === "open" ? "rate limiter unavailable: request let through without a limit" : "rate limiter unavailable: request refused", {
      what,
      reason: e.reason,
      error: e.message,
      on_error: mode,
      request_id: requestId,
      failed_open: counters.failed_open,
      failed_closed: counters.failed_closed,
    });
    if (mode === "open") return undefined;
    throw new ApiError("not_ready", { detail: "rate limiting is temporarily unavailable, so the request was refused; try again shortly", headers: { "Retry-After": "5" } });
  }
}

const secondsUntil = (t: number, now: number) => Math.max(1, Math.ceil((t - now) / 1000));
const item = (name: string, r: number, t: number) => `"${name}";r=${r};t=${t}`;

/** The refused window that reopens last: it decides Retry-After. */
export function bindingWindow(d: LimitDecision): WindowState | undefined {
  let worst: WindowState | undefined;
  for (const w of d.windows) if (!w.allowed && (!worst || (w.retryAt ?? 0) > (worst.retryAt ?? 0))) worst = w;
  return worst;
}

/** RateLimit, RateLimit-Warning and Retry-After for a decision. */
export function decisionHeaders(d: LimitDecision, now: number, warnPercent: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!d.windows.length) return headers;
  if (!d.allowed) {
    const w = bindingWindow(d)!;
    const retry = secondsUntil(w.retryAt ?? w.resetAt, now);
    headers["RateLimit"] = item(w.name, 0, retry);
    headers["Retry-After"] = String(retry);
    return headers;
  }
  // Closest to exhaustion: the smallest share left (ties: the first, i.e. the shortest window).
  let closest = d.windows[0];
  for (const w of d.windows) if (w.remaining * closest.limit < closest.remaining * w.limit) closest = w;
  headers["RateLimit"] = item(closest.name, closest.remaining, secondsUntil(closest.resetAt, now));
  const warn = d.windows.filter((w) => (w.limit - w.remaining) * 100 >= w.limit * warnPercent);
  if (warn.length) headers["RateLimit-Warning"] = warn.map((w) => item(w.name, w.remaining, secondsUntil(w.resetAt, now))).join(", ");
  return headers;
}

/** The 429 for a refused decision. */
export function rateLimitedError(d: LimitDecision, now: number, headers: Record<string, string>, what = "rate limit"): ApiError {
  const w = bindingWindow(d)!;
  const retryAt = w.retryAt ?? w.resetAt;
  const retry = secondsUntil(retryAt, now);
  const at = new Date(now + retry * 1000).toISOString();
  const quota = w.limit === 0 ? `no requests are allowed per ${w.name}` : `${w.limit} request${w.limit === 1 ? "" : "s"} per ${w.name}`;
  return new ApiError("rate_limited", {
    detail: `${what} exceeded: ${quota}; the ${w.name} window lets the next request through in ${retry} s (${at})`,
    extra: {
      window: w.name,
      limit: w.limit,
      window_seconds: w.seconds,
      retry_after: retry,
      reset_at: at,
      violated_windows: d.windows.filter((x) => !x.allowed).map((x) => x.name),
    },
    headers,
  });
}

/**
 * Through `c.header`, which re-wraps the finished response before setting: under
 * @hono/node-server (whose global Response is a "lightweight" one), headers set
 * straight on a finished response's `headers` are lost when the response is
 * materialised later (e.g. by Hono's `c.res` setter).
 */
function setHeaders(c: Context<HonoEnv>, headers: Record<string, string>) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
}

/** The middleware: counts the request, answers 429 at the hard limit, sets the headers on every limited response. */
export function rateLimit(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const p = c.get("principal");
    if (!p) return next();
    const s = c.get("services");
    const { identity, windows } = limitsFor(s, p);
    const policy = policyHeader(windows);
    const decision = await guarded(s, c.get("requestId"), "limit", () => s.limiter.limit(identity, quotaOf(windows)));
    if (!decision) {
      // Failed open (counted and logged): the policy still applies, we just could not count this request.
      await next();
      setHeaders(c, { "RateLimit-Policy": policy });
      return;
    }
    const now = s.clock.now().getTime();
    const headers: Record<string, string> = { "RateLimit-Policy": policy, ...decisionHeaders(decision, now, s.config.rateLimits.warnPercent) };
    if (!decision.allowed) {
      c.get("logFields").rate_limited = bindingWindow(decision)!.name;
      throw rateLimitedError(decision, now, headers);
    }
    if (headers["RateLimit-Warning"]) c.get("logFields").rate_limit_warning = headers["RateLimit-Warning"];
    await next();
    setHeaders(c, headers);
  };
}
