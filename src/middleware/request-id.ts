import type { MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";

const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

/** Reuses a well-formed incoming X-Request-Id, else makes one; every response carries it. */
export function requestId(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const id = incoming && WELL_FORMED.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.set("logFields", {});
    // Before the handler, so the response it builds carries it. Setting a header on a finished
    // response re-wraps it (on @hono/node-server: builds the full Response), so only responses
    // made without the prepared headers (problems) get it that way.
    c.header("X-Request-Id", id);
    await next();
    // c.header, not c.res.headers: on @hono/node-server a directly mutated Response loses it when re-wrapped.
    if (!c.res.headers.has("X-Request-Id")) c.header("X-Request-Id", id);
  };
}
