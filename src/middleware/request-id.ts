import type { MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";
import { setHeader } from "../lib/http.ts";

const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

/** Reuses a well-formed incoming X-Request-Id, else makes one; every response carries it. */
export function requestId(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const id = incoming && WELL_FORMED.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.set("logFields", {});
    await next();
    c.res = setHeader(c.res, "X-Request-Id", id);
  };
}
