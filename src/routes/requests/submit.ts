import { createRoute, z } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS, submitRequest } from "../../requests/requests.ts";
import { parseIdempotencyKey } from "../../requests/idempotency.ts";
import { RequestSchema, SubmitRequestSchema } from "./schemas.ts";

const guard = access({ roles: SUBMITTERS, scope: "requests:write" });

const route = createRoute({
  ...guard,
  method: "post",
  path: "/v1/requests",
  operationId: "submitRequest",
  ...servedOn("request"),
  tags: ["Requests"],
  summary: "Submit a request (answered later, across the air gap)",
  description:
    `${guard.description} ` +
    "Send `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) to retry safely: the same key with the same body answers the original result with `Idempotency-Replayed: true`; with a different body 422 (also when two arrive at once: one request is made, the others answer from it); 409 while a first request recorded in flight by an older version is still running. Keys are per user and kept 24 h.",
  request: {
    headers: z.object({ "idempotency-key": z.string().optional().openapi({ description: 'e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"' }) }),
    body: { required: true, content: { "application/json": { schema: SubmitRequestSchema } } },
  },
  responses: {
    202: { description: "Accepted; poll `Location`", content: { "application/json": { schema: RequestSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export function registerRequestsSubmit(app: App) {
  app.openapi(route, async (c) => {
    const p = principalOf(c);
    const key = parseIdempotencyKey(c.req.header("idempotency-key"));
    const result = await submitRequest(c.get("services"), p as typeof p & { userId: string }, c.req.valid("json"), key);
    const body = result.body as z.infer<typeof RequestSchema>;
    c.header("Location", `/v1/requests/${body.id}`);
    c.header("Cache-Control", "no-store");
    if (result.replayed) c.header("Idempotency-Replayed", "true");
    c.get("logFields").request = body.id;
    return c.json(body, 202);
  });
}
