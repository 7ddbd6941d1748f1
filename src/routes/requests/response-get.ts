import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS, canSee } from "../../requests/requests.ts";
import { estimateAnswer } from "../../requests/estimate.ts";
import { etagOf, getResponse, noneMatch, publicResponse, responseStateOf } from "../../requests/responses.ts";
import { readThrough } from "../../requests/response-cache.ts";
import { RequestIdParam } from "../../requests/schemas.ts";
import { MAX_WAIT_SECONDS, settled, waitForResponse, waitGate, type ResponseState } from "../../requests/wait.ts";
import type { Services } from "../../services.ts";
import { ResponseSchema } from "./schemas.ts";

const CACHE_CONTROL = "private, no-cache";

const guard = access({ roles: SUBMITTERS, scope: "requests:read" });

const route = createRoute({
  ...guard,
  method: "get",
  path: "/v1/requests/{id}/response",
  operationId: "getResponse",
  tags: ["Requests"],
  summary: "The answer, once it has arrived (ETag / If-None-Match for polling)",
  description:
    `${guard.description} ` +
    "200 with the answer; 304 when `If-None-Match` matches the current `ETag` (the response version and the batch that delivered it). " +
    "While pending: 409 `response_pending` with `request_status` and `Retry-After`. Rejected: 422 `request_rejected` with `reason`. Cancelled: 409 `request_cancelled`. " +
    "With `wait=N` a pending read is held until the response arrives or N seconds pass, then answered the same way; " +
    "429 `too_many_waits` (with `Retry-After`) when this identity or this server already holds as many waiting reads as it allows.",
  request: {
    params: RequestIdParam,
    query: z.object({
      wait: z.coerce
        .number()
        .int()
        .min(0)
        .max(MAX_WAIT_SECONDS)
        .optional()
        .openapi({ description: `Seconds (0–${MAX_WAIT_SECONDS}) to hold the request while no response has arrived; 0 or absent: answer at once` }),
    }),
    headers: z.object({ "if-none-match": z.string().optional() }),
  },
  responses: {
    200: { description: "The answer", content: { "application/json": { schema: ResponseSchema } } },
    304: { description: "Not modified" },
    ...problemResponses(400, 401, 403, 404, 409, 422, 429),
  },
});

export function registerRequestsResponseGet(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const p = principalOf(c);
    const id = c.req.valid("param").id;
    // The small row decides access, state and the ETag; the (possibly large) body comes from the cache or the database.
    const found = await responseStateOf(s, id);
    if (!found || !canSee(p, found)) throw new ApiError("not_found", { detail: "no such request" });
    const row = await waitIfAsked(s, id, found, p.userId ?? "", c.req.valid("query").wait, () => c.req.raw.signal);
    const headers = { "Cache-Control": CACHE_CONTROL };
    if (row.kind === "rejection") {
      throw new ApiError("request_rejected", {
        detail: `the request was rejected: ${row.reason ?? "no reason given"}`,
        extra: { request_status: "rejected", reason: row.reason, rejected_at: row.answeredAt },
        headers,
      });
    }
    if (row.kind !== "answer" || row.version === null) {
      if (row.status === "cancelled")
        throw new ApiError("request_cancelled", { detail: "the request was cancelled; it has no response", extra: { request_status: "cancelled" }, headers });
      const estimate = await estimateAnswer(s, row);
      const retry = estimate ? Math.min(3600, Math.max(5, Math.round((Date.parse(estimate.at) - s.clock.now().getTime()) / 1000))) : 60;
      throw new ApiError("response_pending", {
        detail: `no response yet; the request is ${row.status}`,
        extra: { request_status: row.status, estimated_answer_at: estimate?.at ?? null },
        headers: { ...headers, "Retry-After": String(retry) },
      });
    }
    const etag = etagOf({ version: row.version, deliveredSequence: row.deliveredSequence });
    c.header("ETag", etag);
    c.header("Cache-Control", CACHE_CONTROL);
    if (noneMatch(c.req.header("if-none-match"), etag)) {
      c.get("logFields").cache = "not_modified";
      return c.body(null, 304);
    }
    const { value, outcome } = await readThrough(s, {
      requestId: id,
      userId: row.userId,
      etag,
      load: async () => {
        const full = await getResponse(s, id);
        if (!full) throw new ApiError("not_found", { detail: "no such request" });
        return publicResponse(full);
      },
    });
    c.get("logFields").cache = outcome;
    // hit | miss | stale (an older copy was replaced) | error (the store failed; answered from the database)
    // | bypass (the store's circuit breaker is open; answered from the database without asking it)
    c.header("X-Cache", outcome);
    return c.json(value as z.infer<typeof ResponseSchema>, 200);
  });
}

/** Holds a pending read for up to `seconds` (a slot per identity and per process); the state to answer from. */
// The signal is asked for only when the read waits: on @hono/node-server it makes the full Request.
async function waitIfAsked(s: Services, id: string, row: ResponseState, identity: string, seconds: number | undefined, signal: () => AbortSignal) {
  if (!seconds || settled(row)) return row;
  const leave = waitGate.enter(identity);
  if (!leave) {
    throw new ApiError("too_many_waits", {
      detail: "too many waiting reads are open; retry, or read without wait",
      headers: { "Retry-After": "5", "Cache-Control": CACHE_CONTROL },
    });
  }
  try {
    return await waitForResponse(s, id, row, { ms: seconds * 1000, signal: signal() });
  } finally {
    leave();
  }
}
