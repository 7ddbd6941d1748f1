import type { Context, ErrorHandler, Hono, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Hook } from "@hono/zod-openapi";
import type { HonoEnv } from "../env.ts";
import { ApiError, bodyIssuesError, problemResponse, type ErrorCode, type FieldError, type Issue, type ProblemOptions } from "../errors.ts";
import { InvalidCursorError } from "../lib/pagination.ts";

const instanceOf = (c: Context) => c.req.path;
const requestIdOf = (c: Context<HonoEnv>) => c.get("requestId") ?? "unknown";

/** Hono's own exceptions (validator, body parsing) mapped into the catalog. */
function codeForHttpException(e: HTTPException): ErrorCode {
  if (e.status === 400) return /malformed json/i.test(e.message) ? "malformed_json" : "bad_request";
  const byStatus: Partial<Record<number, ErrorCode>> = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "not_ready",
  };
  return byStatus[e.status] ?? "internal_error";
}

/** Four branches: ours, a list's bad cursor, Hono's, anything else (500, logged with its stack by the access log, never shown). */
export function problemOf(err: Error): { code: ErrorCode; options: ProblemOptions } {
  if (err instanceof ApiError) return { code: err.code, options: err.options };
  if (err instanceof InvalidCursorError) {
    return { code: "validation_failed", options: { detail: "the cursor is not valid", errors: [{ parameter: "cursor", detail: "not a cursor from this list" }] } };
  }
  if (err instanceof HTTPException) {
    const code = codeForHttpException(err);
    return { code, options: code === "internal_error" ? {} : { detail: err.message } };
  }
  return { code: "internal_error", options: { detail: "An unexpected error occurred. Quote the request id when reporting it." } };
}

/** Every error of the JSON API as a problem (the console renders the same problem as a page). */
export const onError: ErrorHandler<HonoEnv> = (err, c) => {
  const { code, options } = problemOf(err);
  return problemResponse(code, requestIdOf(c), instanceOf(c), options);
};

function pathPattern(path: string): RegExp {
  const re = path
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${re}/?$`);
}

/** 404 for unknown paths; 405 with `Allow` when the path exists under other methods. */
export function notFound(app: Hono<HonoEnv>): NotFoundHandler<HonoEnv> {
  let table: Array<{ method: string; re: RegExp }> | undefined;
  return (c) => {
    table ??= app.routes.filter((r) => r.method !== "ALL").map((r) => ({ method: r.method, re: pathPattern(r.path) }));
    const allowed = [...new Set(table.filter((r) => r.re.test(c.req.path)).map((r) => r.method))];
    if (allowed.length) {
      if (allowed.includes("GET")) allowed.push("HEAD");
      const allow = allowed.join(", ");
      return problemResponse("method_not_allowed", requestIdOf(c), instanceOf(c), {
        detail: `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}`,
        headers: { Allow: allow },
      });
    }
    return problemResponse("not_found", requestIdOf(c), instanceOf(c), { detail: `no route for ${c.req.method} ${c.req.path}` });
  };
}

/** zod failures from any route become one validation problem with a field error each. */
export const validationHook: Hook<unknown, HonoEnv, string, unknown> = (result) => {
  if (result.success) return;
  const target = result.target;
  if (target === "json") throw bodyIssuesError(result.error.issues as Issue[]);
  const errors: FieldError[] = result.error.issues.map((i) => ({ parameter: String(i.path[0] ?? target), detail: i.message }));
  const where = target === "param" ? "path" : target;
  throw new ApiError("validation_failed", { detail: `${errors.length} invalid field${errors.length === 1 ? "" : "s"} in the ${where}`, errors });
};
