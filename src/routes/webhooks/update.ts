import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { publicEndpoint, updateEndpoint, visibleEndpoint } from "../../webhooks/endpoints.ts";
import { UpdateWebhookSchema, WebhookIdParam, WebhookSchema } from "./schemas.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/webhooks/{id}",
  operationId: "updateWebhook",
  tags: ["Webhooks"],
  summary: "Change an endpoint's URL, events or payload, or re-enable it (admins: anyone's)",
  ...access({ roles: SUBMITTERS, scope: "webhooks:write" }),
  request: { params: WebhookIdParam, body: { required: true, content: { "application/json": { schema: UpdateWebhookSchema } } } },
  responses: { 200: { description: "Changed", content: { "application/json": { schema: WebhookSchema } } }, ...problemResponses(400, 401, 403, 404) },
});

export function registerWebhooksUpdate(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const row = await visibleEndpoint(s, principalOf(c), c.req.valid("param").id);
    return c.json(publicEndpoint(await updateEndpoint(s, principalOf(c), row, c.req.valid("json"))), 200);
  });
}
