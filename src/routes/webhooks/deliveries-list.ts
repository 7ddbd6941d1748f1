import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { visibleEndpoint } from "../../webhooks/endpoints.ts";
import { listDeliveries, publicDelivery } from "../../webhooks/deliveries.ts";
import { DeliverySchema, WebhookIdParam } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["Webhooks"],
  summary: "An endpoint's delivery log, newest first",
  ...access({ roles: SUBMITTERS, scope: "webhooks:read" }),
  request: { params: WebhookIdParam, query: PageQuery },
  responses: {
    200: { description: "Deliveries", content: { "application/json": { schema: listSchema(DeliverySchema, "WebhookDeliveryList") } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

export function registerWebhookDeliveriesList(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const endpoint = await visibleEndpoint(s, principalOf(c), c.req.valid("param").id);
    const result = await listDeliveries(s, endpoint, c.req.valid("query"));
    return c.json({ items: result.items.map(publicDelivery), next_cursor: result.next_cursor }, 200);
  });
}
