import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { publicEndpoint, visibleEndpoint } from "../../webhooks/endpoints.ts";
import { WebhookIdParam, WebhookSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/webhooks/{id}",
  operationId: "getWebhook",
  tags: ["Webhooks"],
  summary: "One of your webhook endpoints, with whether and why it was disabled (admins: anyone's)",
  ...access({ roles: SUBMITTERS, scope: "webhooks:read" }),
  request: { params: WebhookIdParam },
  responses: { 200: { description: "The endpoint", content: { "application/json": { schema: WebhookSchema } } }, ...problemResponses(401, 403, 404) },
});

export function registerWebhooksGet(app: App) {
  app.openapi(route, async (c) => c.json(publicEndpoint(await visibleEndpoint(c.get("services"), principalOf(c), c.req.valid("param").id)), 200));
}
