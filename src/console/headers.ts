import type { Context, MiddlewareHandler } from "hono";

/** No inline script or style anywhere in the console: its CSS (and any script) are files under /console/static/. */
export const CONSOLE_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function setSecurityHeaders(c: Context) {
  c.header("Content-Security-Policy", CONSOLE_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "same-origin");
  c.header("Cross-Origin-Opener-Policy", "same-origin");
}

/** Every console response, pages and files alike; pages are also never cached (they show private data). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    setSecurityHeaders(c);
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  };
}

/**
 * `Server-Timing: app;dur=<ms>` on every console response: the server's time from the console's
 * first middleware (session check included) to the rendered page, readable in the browser's
 * developer tools and by scripts/bench-console.ts.
 */
export function serverTiming(): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    c.header("Server-Timing", `app;dur=${(performance.now() - started).toFixed(1)}`);
  };
}
