import type { MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";

/** One JSON line per request; errors (with stack) and slow requests are always kept. Redaction happens in the logger. */
export function accessLog(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const { logger, runtime } = c.get("services");
    const status = c.res.status;
    const duration_ms = Math.round((performance.now() - started) * 100) / 100;
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
