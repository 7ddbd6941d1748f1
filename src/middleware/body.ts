import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { HonoEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

/** Routes whose body is a raw file (a batch), not JSON; they enforce their own size limits. */
export const RAW_BODY_ROUTES = new Set(["/v1/transfer/inbox"]);

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;
// Over HTTP a body comes with Content-Length or Transfer-Encoding; a Request built in-process
// (tests, app.request) has neither, so there a Content-Type says a body was sent.
const hasBody = (req: Request) => {
  const length = req.headers.get("content-length");
  if (length !== null) return length !== "0";
  return req.headers.has("transfer-encoding") || (req.body !== null && req.headers.has("content-type"));
};

/** The console posts HTML forms and limits their bodies itself (src/console/forms.ts). */
const FORM_PREFIX = "/console/";

/** Bodies are JSON (415 otherwise) and no larger than the configured limit (413). */
export function jsonBodies(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    if (!["POST", "PUT", "PATCH", "DELETE"].includes(c.req.method) || RAW_BODY_ROUTES.has(c.req.path) || c.req.path.startsWith(FORM_PREFIX) || !hasBody(c.req.raw)) return next();
    const type = c.req.header("content-type") ?? "";
    if (!JSON_TYPE.test(type)) {
      throw new ApiError("unsupported_media_type", {
        detail: `expected Content-Type: application/json, got ${type ? JSON.stringify(type.slice(0, 100)) : "none"}`,
      });
    }
    const maxSize = c.get("services").config.maxBodyBytes;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", { detail: `request body exceeds ${maxSize} bytes` });
      },
    })(c, next);
  };
}
