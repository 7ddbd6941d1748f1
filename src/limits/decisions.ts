import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { processMetrics } from "../metrics/process.ts";
import { RateLimiterUnavailable, type LimitDecision, type WindowState } from "../deps/ratelimit/ratelimit.ts";

// What a limiter answer means for a request: the failure policy, the RateLimit headers and the 429.

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
    processMetrics(s).limiterErrors.inc({ on_error: mode });
    // While the breaker is open every request would log the same line: its opening was logged once.
    if (e.reason !== "circuit_open")
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
    headers.RateLimit = item(w.name, 0, retry);
    headers["Retry-After"] = String(retry);
    return headers;
  }
  // Closest to exhaustion: the smallest share left (ties: the first, i.e. the shortest window).
  let closest = d.windows[0];
  for (const w of d.windows) if (w.remaining * closest.limit < closest.remaining * w.limit) closest = w;
  headers.RateLimit = item(closest.name, closest.remaining, secondsUntil(closest.resetAt, now));
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
