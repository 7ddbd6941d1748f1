import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { visibleEndpoint } from "../../webhooks/endpoints.ts";
import { publicDelivery, redeliver } from "../../webhooks/deliveries.ts";
import { DeliveryIdParam, DeliverySchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
  operationId: "redeliverWebhook",
  tags: ["Webhooks"],
  summary: "Send a message again with the same webhook-id (due at the next delivery run)",
  ...access({ roles: SUBMITTERS, scope: "webhooks:write" }),
  request: { params: DeliveryIdParam },
  responses: { 202: { description: "Queued", content: { "application/json": { schema: DeliverySchema } } }, ...problemResponses(401, 403, 404, 409) },
});

export function registerWebhookRedeliver(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const { id, delivery_id } = c.req.valid("param");
    const endpoint = await visibleEndpoint(s, principalOf(c), id);
    return c.json(publicDelivery(await redeliver(s, endpoint, delivery_id)), 202);
  });
}
