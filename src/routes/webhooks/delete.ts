import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { deleteEndpoint, publicEndpoint, visibleEndpoint } from "../../webhooks/endpoints.ts";
import { WebhookIdParam, WebhookSchema } from "./schemas.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/webhooks/{id}",
  operationId: "deleteWebhook",
  tags: ["Webhooks"],
  summary: "Remove one of your webhook endpoints and its delivery log (admins: anyone's)",
  ...access({ roles: SUBMITTERS, scope: "webhooks:write" }),
  request: { params: WebhookIdParam },
  responses: { 200: { description: "Removed", content: { "application/json": { schema: WebhookSchema } } }, ...problemResponses(401, 403, 404) },
});

export function registerWebhooksDelete(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const row = await visibleEndpoint(s, principalOf(c), c.req.valid("param").id);
    await deleteEndpoint(s, row);
    return c.json(publicEndpoint(row), 200);
  });
}
