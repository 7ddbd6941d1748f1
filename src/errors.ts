import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "@hono/zod-openapi";
import { bounded } from "./lib/text.ts";
import { isJsonLimitIssue, jsonPointer } from "./lib/json-limits.ts";

/** Problem details echo what a caller sent at most this far. */
const MAX_DETAIL = 2000;

/**
 * The one error catalog. Every problem Airlock answers carries one of these
 * codes; clients may switch on them, so a code never changes meaning.
 */
export const CATALOG = {
  bad_request: { status: 400, title: "Bad request" },
  malformed_json: { status: 400, title: "Malformed JSON body" },
  validation_failed: { status: 400, title: "Validation failed" },
  invalid_json: { status: 400, title: "JSON value outside the accepted limits" },
  unauthorized: { status: 401, title: "Authentication required" },
  invalid_credentials: { status: 401, title: "Invalid credentials" },
  invalid_token: { status: 401, title: "Invalid token" },
  token_expired: { status: 401, title: "Token expired" },
  forbidden: { status: 403, title: "Forbidden" },
  csrf_failed: { status: 403, title: "Form refused: not sent from this site's page" },
  account_disabled: { status: 403, title: "Account disabled" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  email_taken: { status: 409, title: "E-mail address already in use" },
  last_admin: { status: 409, title: "The last active admin cannot be removed" },
  // Requests and responses: submitting, reading, answering and the queue.
  response_pending: { status: 409, title: "Response not available yet" },
  request_rejected: { status: 422, title: "Request rejected" },
  request_cancelled: { status: 409, title: "Request cancelled" },
  request_not_cancellable: { status: 409, title: "Request can no longer be cancelled" },
  request_not_answerable: { status: 409, title: "Request can no longer be answered" },
  request_claimed: { status: 409, title: "Request claimed by another operator" },
  search_query_invalid: { status: 400, title: "Search query not usable" },
  idempotency_key_reused: { status: 422, title: "Idempotency key reused with a different request" },
  idempotency_in_flight: { status: 409, title: "A request with this idempotency key is still being processed" },
  cache_unavailable: { status: 503, title: "Cache store unavailable" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  owned_by_other_network: { status: 409, title: "Data owned by the other network" },
  wrong_network: { status: 404, title: "Not available on this network" },
  rate_limited: { status: 429, title: "Too many requests" },
  too_many_waits: { status: 429, title: "Too many waiting reads" },
  not_a_batch: { status: 400, title: "Not a batch file" },
  dead_letter_invalid: { status: 422, title: "The record still does not pass its schema" },
  not_supersedable: { status: 409, title: "This batch cannot be superseded" },
  transfer_not_configured: { status: 503, title: "Transfer keys not configured" },
  internal_error: { status: 500, title: "Internal server error" },
  not_ready: { status: 503, title: "Service not ready" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof CATALOG;
export const errorCodes = Object.keys(CATALOG) as [ErrorCode, ...ErrorCode[]];

/** One field error: `pointer` (RFC 6901) into the JSON body, or `parameter` for query/path/header input. */
export interface FieldError {
  pointer?: string;
  parameter?: string;
  detail: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  /** Extra members added to the problem body (RFC 9457 extensions). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** The only exception routes throw on purpose. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly options: ProblemOptions;
  constructor(code: ErrorCode, options: ProblemOptions = {}) {
    super(CATALOG[code].status, { message: options.detail ?? CATALOG[code].title, cause: options.cause });
    this.code = code;
    this.options = options;
  }
}

export const problemTypeUri = (code: ErrorCode) => `urn:airlock:problem:${code}`;

export function problemBody(code: ErrorCode, requestId: string, instance: string, o: ProblemOptions = {}) {
  const entry = CATALOG[code];
  return {
    type: problemTypeUri(code),
    title: entry.title,
    status: entry.status,
    detail: bounded(o.detail ?? entry.title, MAX_DETAIL),
    code,
    instance: bounded(instance, 500),
    request_id: requestId,
    ...(o.errors?.length ? { errors: o.errors.slice(0, 20) } : {}),
    ...o.extra,
  };
}

export function problemResponse(code: ErrorCode, requestId: string, instance: string, o: ProblemOptions = {}): Response {
  const body = problemBody(code, requestId, instance, o);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { "content-type": "application/problem+json", ...o.headers },
  });
}

/** The schema of every problem, for the OpenAPI document. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(errorCodes),
    instance: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ pointer: z.string().optional(), parameter: z.string().optional(), detail: z.string() })).optional(),
  })
  .openapi("Problem");

/** OpenAPI response entries for the problems a route can answer. */
export function problemResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema } } }> = {};
  for (const s of statuses) {
    out[s] = { description: "Problem (RFC 9457)", content: { "application/problem+json": { schema: ProblemSchema } } };
  }
  return out;
}

/** A zod issue, as far as problems need it. */
export interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  params?: unknown;
}

// Problems echo at most this many field errors (a body can hold thousands of bad fields).
const MAX_FIELD_ERRORS = 20;

/**
 * A JSON body's zod issues as one problem: `invalid_json` when a value is
 * outside the JSON limits (src/lib/json-limits.ts; the detail names its
 * pointer), else `validation_failed`. `pointerOf` maps an issue path to the
 * client's field.
 */
export function bodyIssuesError(issues: readonly Issue[], pointerOf = (path: PropertyKey[]) => jsonPointer(path.map(String)), what = "the body"): ApiError {
  const errors: FieldError[] = issues.slice(0, MAX_FIELD_ERRORS).map((i) => ({ pointer: pointerOf(i.path), detail: i.message }));
  const limit = issues.find(isJsonLimitIssue);
  if (limit) {
    return new ApiError("invalid_json", { detail: `${pointerOf(limit.path) || "/"}: ${limit.message}`, errors });
  }
  return new ApiError("validation_failed", { detail: `${issues.length} invalid field${issues.length === 1 ? "" : "s"} in ${what}`, errors });
}
