import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { getApiKey, publicApiKey, revokeApiKey } from "../../identity/api-keys.ts";
import { actorOf } from "../../audit/audit.ts";
import { ApiKeyIdParam, ApiKeySchema } from "../../identity/schemas.ts";
import { SESSION_ONLY } from "../../identity/scopes.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/api-keys/{id}",
  operationId: "adminRevokeApiKey",
  tags: ["API keys"],
  summary: "Revoke any API key from the master; the revocation travels to the request network",
  ...access({ roles: ["admin"], scope: SESSION_ONLY }),
  request: { params: ApiKeyIdParam },
  responses: { 200: { description: "Revoked", content: { "application/json": { schema: ApiKeySchema } } }, ...problemResponses(401, 403, 404) },
});

export function registerAdminApiKeysRevoke(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const key = await getApiKey(s, c.req.valid("param").id);
    if (!key) throw new ApiError("not_found", { detail: "no such API key (keys arrive from the request network in batches)" });
    return c.json(publicApiKey(await revokeApiKey(s, key, actorOf(c))), 200);
  });
}
