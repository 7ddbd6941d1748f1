import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS, describeRequest, visibleRequest } from "../../requests/requests.ts";
import { RequestIdParam } from "../../requests/schemas.ts";
import { RequestSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/requests/{id}",
  operationId: "getRequest",
  tags: ["Requests"],
  summary: "One request with its timeline and, while pending, an estimate of when the answer may arrive",
  ...access({ roles: SUBMITTERS, scope: "requests:read" }),
  request: { params: RequestIdParam },
  responses: { 200: { description: "The request", content: { "application/json": { schema: RequestSchema } } }, ...problemResponses(401, 403, 404) },
});

export function registerRequestsGet(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const row = await visibleRequest(s, principalOf(c), c.req.valid("param").id);
    c.header("Cache-Control", "private, no-cache");
    return c.json(await describeRequest(s, row), 200);
  });
}
