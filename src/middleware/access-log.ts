import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { HonoEnv } from "../env.ts";
import { methodLabel, processMetrics } from "../metrics/process.ts";

/**
 * The route template that answered (`/v1/requests/{id}`), never the raw path, so metrics have one
 * series per route; "unmatched" when no route did (404s of any path are one series).
 */
function routeTemplate(c: Context<HonoEnv>): string {
  const route = matchedRoutes(c).findLast((r) => r.method !== "ALL");
  if (!route) return "unmatched";
  let t = templates.get(route.path);
  if (t === undefined) {
    t = route.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
    templates.set(route.path, t);
  }
  return t;
}
// Route path → template: as many entries as there are routes.
const templates = new Map<string, string>();

/** One JSON line per request, and its count and latency in the metrics; errors (with stack) and slow requests are always kept. Redaction happens in the logger. */
export function accessLog(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const s = c.get("services");
    const { logger, runtime } = s;
    const status = c.res.status;
    const seconds = (performance.now() - started) / 1000;
    const duration_ms = Math.round(seconds * 100_000) / 100;
    const m = processMetrics(s);
    const labels = { method: methodLabel(c.req.method), route: routeTemplate(c) };
    m.requests.inc({ ...labels, status });
    m.duration.observe(labels, seconds);
    const err = status >= 500 ? c.error : undefined;
    logger.log(status >= 500 ? "error" : "info", "request", {
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms,
      ip: runtime.clientIp(c),
      ...c.get("logFields"),
      ...(duration_ms > 1000 ? { slow: true } : {}),
      ...(err ? { error: err } : {}),
    });
  };
}
