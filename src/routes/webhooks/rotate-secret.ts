import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { publicEndpoint, rotateSecret, visibleEndpoint } from "../../webhooks/endpoints.ts";
import { CreatedWebhookSchema, RotateSecretSchema, WebhookIdParam } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/webhooks/{id}/rotate-secret",
  operationId: "rotateWebhookSecret",
  tags: ["Webhooks"],
  summary: "A new signing secret (returned once); the old one signs too until the overlap ends",
  ...access({ roles: SUBMITTERS, scope: "webhooks:write" }),
  request: { params: WebhookIdParam, body: { required: false, content: { "application/json": { schema: RotateSecretSchema } } } },
  responses: { 200: { description: "Rotated", content: { "application/json": { schema: CreatedWebhookSchema } } }, ...problemResponses(400, 401, 403, 404) },
});

export function registerWebhookRotateSecret(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const row = await visibleEndpoint(s, principalOf(c), c.req.valid("param").id);
    const { overlap_seconds } = RotateSecretSchema.parse((c.req.valid("json") as unknown) ?? {});
    const rotated = await rotateSecret(s, row, overlap_seconds);
    c.header("Cache-Control", "no-store");
    return c.json({ ...publicEndpoint(rotated.row), secret: rotated.secret }, 200);
  });
}
