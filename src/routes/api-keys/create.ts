import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { ANY_ROLE } from "../../identity/roles.ts";
import { createOwnApiKey, publicApiKey } from "../../identity/api-keys.ts";
import { actorOf } from "../../audit/audit.ts";
import { CreateApiKeySchema, CreatedApiKeySchema } from "./schemas.ts";
import { SESSION_ONLY } from "../../identity/scopes.ts";

const route = createRoute({
  method: "post",
  path: "/v1/api-keys",
  operationId: "createApiKey",
  ...servedOn("request"),
  tags: ["API keys"],
  summary: "Create an API key for yourself (the secret is returned once)",
  ...access({ roles: ANY_ROLE, scope: SESSION_ONLY }),
  request: { body: { required: true, content: { "application/json": { schema: CreateApiKeySchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedApiKeySchema } } },
    ...problemResponses(400, 401, 403, 409),
  },
});

export function registerApiKeysCreate(app: App) {
  app.openapi(route, async (c) => {
    const { row, key } = await createOwnApiKey(c.get("services"), principalOf(c), c.req.valid("json"), actorOf(c));
    c.header("Location", `/v1/api-keys/${row.id}`);
    c.header("Cache-Control", "no-store");
    return c.json({ ...publicApiKey(row), key }, 201);
  });
}
