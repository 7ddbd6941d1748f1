import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { ANY_ROLE } from "../../identity/roles.ts";
import { publicApiKey, revokeApiKey, visibleApiKey } from "../../identity/api-keys.ts";
import { actorOf } from "../../audit/audit.ts";
import { ApiKeyIdParam, ApiKeySchema } from "../../identity/schemas.ts";
import { SESSION_ONLY } from "../../identity/scopes.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/api-keys/{id}",
  operationId: "revokeApiKey",
  tags: ["API keys"],
  summary: "Revoke one of your API keys (admins: anyone's)",
  ...access({ roles: ANY_ROLE, scope: SESSION_ONLY }),
  request: { params: ApiKeyIdParam },
  responses: { 200: { description: "Revoked", content: { "application/json": { schema: ApiKeySchema } } }, ...problemResponses(401, 403, 404) },
});

export function registerApiKeysDelete(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const key = await visibleApiKey(s, principalOf(c), c.req.valid("param").id);
    return c.json(publicApiKey(await revokeApiKey(s, key, actorOf(c))), 200);
  });
}
