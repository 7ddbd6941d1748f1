import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { createEndpoint, publicEndpoint } from "../../webhooks/endpoints.ts";
import { CreateWebhookSchema, CreatedWebhookSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/webhooks",
  operationId: "createWebhook",
  tags: ["Webhooks"],
  summary: "Register a webhook endpoint for your requests' events, or (operators, admins) alert events; the secret is returned once",
  ...access({ roles: SUBMITTERS, scope: "webhooks:write" }),
  request: { body: { required: true, content: { "application/json": { schema: CreateWebhookSchema } } } },
  responses: {
    201: { description: "Registered", content: { "application/json": { schema: CreatedWebhookSchema } } },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

export function registerWebhooksCreate(app: App) {
  app.openapi(route, async (c) => {
    const p = principalOf(c);
    const { row, secret } = await createEndpoint(c.get("services"), p, c.req.valid("json"));
    c.header("Location", `/v1/webhooks/${row.id}`);
    c.header("Cache-Control", "no-store");
    return c.json({ ...publicEndpoint(row), secret }, 201);
  });
}
