import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS, cancelRequestAs, describeRequest } from "../../requests/requests.ts";
import { RequestIdParam } from "../../requests/schemas.ts";
import { RequestSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/requests/{id}/cancel",
  operationId: "cancelRequest",
  ...servedOn("request"),
  tags: ["Requests"],
  summary: "Cancel a request until it is answered (cancelling twice changes nothing)",
  ...access({ roles: SUBMITTERS, scope: "requests:write" }),
  request: { params: RequestIdParam },
  responses: { 200: { description: "Cancelled", content: { "application/json": { schema: RequestSchema } } }, ...problemResponses(401, 403, 404, 409) },
});

export function registerRequestsCancel(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    return c.json(await describeRequest(s, await cancelRequestAs(s, principalOf(c), c.req.valid("param").id)), 200);
  });
}
