import type { Context, MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";
import { requestLimitsFor } from "../limits/quotas.ts";
import { processMetrics } from "../metrics/process.ts";
import { bindingWindow, decisionHeaders, guarded, rateLimitedError } from "../limits/decisions.ts";

/**
 * Per-identity quotas on every authenticated request (runs after `authenticate`).
 *
 * Which identity and quota apply to a principal is decided in src/limits/quotas.ts;
 * this middleware counts the request and speaks HTTP.
 *
 * Headers (draft-ietf-httpapi-ratelimit-headers-11, structured fields):
 *   RateLimit-Policy: "minute";q=60;w=60, "hour";q=1000;w=3600, "day";q=10000;w=86400
 *   RateLimit: "minute";r=12;t=30            the window closest to exhaustion
 *   RateLimit-Warning: "minute";r=12;t=30    every window at or past the soft threshold (ours; the draft has no warning)
 * At the hard limit: 429 `rate_limited` naming the window and when it reopens,
 * with Retry-After (seconds, never before the window lets a request through).
 */

/**
 * Through `c.header`, which re-wraps the finished response before setting: under
 * @hono/node-server (whose global Response is a "lightweight" one), headers set
 * straight on a finished response's `headers` are lost when the response is
 * materialised later (e.g. by Hono's `c.res` setter).
 */
function setHeaders(c: Context<HonoEnv>, headers: Record<string, string>) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
}

/**
 * Headers are prepared before the handler runs, so the response it builds carries them at no cost;
 * a response built without them (a problem from onError) gets them afterwards, re-wrapped.
 */
async function withHeaders(c: Context<HonoEnv>, next: () => Promise<void>, headers: Record<string, string>) {
  setHeaders(c, headers);
  await next();
  if (!c.res.headers.has("RateLimit-Policy")) setHeaders(c, headers);
}

/** The middleware: counts the request, answers 429 at the hard limit, sets the headers on every limited response. */
export function rateLimit(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const p = c.get("principal");
    if (!p) return next();
    const s = c.get("services");
    const { identity, quota, policy } = requestLimitsFor(s, p);
    const decision = await guarded(s, c.get("requestId"), "limit", () => s.limiter.limit(identity, quota));
    if (!decision) {
      // Failed open (counted and logged): the policy still applies, we just could not count this request.
      return withHeaders(c, next, { "RateLimit-Policy": policy });
    }
    processMetrics(s).limiterDecisions.inc({ limit: "identity", decision: decision.allowed ? "allowed" : "limited" });
    const now = s.clock.now().getTime();
    const headers: Record<string, string> = { "RateLimit-Policy": policy, ...decisionHeaders(decision, now, s.config.rateLimits.warnPercent) };
    if (!decision.allowed) {
      c.get("logFields").rate_limited = bindingWindow(decision)!.name;
      throw rateLimitedError(decision, now, headers);
    }
    if (headers["RateLimit-Warning"]) c.get("logFields").rate_limit_warning = headers["RateLimit-Warning"];
    return withHeaders(c, next, headers);
  };
}
