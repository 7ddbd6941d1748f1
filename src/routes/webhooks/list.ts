import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { listEndpoints, publicEndpoint } from "../../webhooks/endpoints.ts";
import { WebhookListSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/webhooks",
  operationId: "listWebhooks",
  tags: ["Webhooks"],
  summary: "List your webhook endpoints (at most 10, so one page)",
  ...access({ roles: SUBMITTERS, scope: "webhooks:read" }),
  responses: { 200: { description: "Endpoints", content: { "application/json": { schema: WebhookListSchema } } }, ...problemResponses(401, 403, 404) },
});

export function registerWebhooksList(app: App) {
  app.openapi(route, async (c) => {
    const rows = await listEndpoints(c.get("services"), principalOf(c));
    return c.json({ items: rows.map(publicEndpoint), next_cursor: null }, 200);
  });
}
