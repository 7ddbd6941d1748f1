import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { ANY_ROLE } from "../../identity/roles.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { listApiKeys, publicApiKey } from "../../identity/api-keys.ts";
import { ApiKeySchema } from "../../identity/schemas.ts";
import { SESSION_ONLY } from "../../identity/scopes.ts";

const route = createRoute({
  method: "get",
  path: "/v1/api-keys",
  operationId: "listApiKeys",
  tags: ["API keys"],
  summary: "List your API keys (admins: any user's with ?user_id=)",
  ...access({ roles: ANY_ROLE, scope: SESSION_ONLY }),
  request: {
    query: PageQuery.extend({
      user_id: z.string().max(64).optional(),
      include_revoked: z.enum(["true", "false"]).default("false"),
    }),
  },
  responses: { 200: { description: "Keys", content: { "application/json": { schema: listSchema(ApiKeySchema, "ApiKeyList") } } }, ...problemResponses(400, 401, 403) },
});

export function registerApiKeysList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const result = await listApiKeys(c.get("services"), principalOf(c), { userId: q.user_id, includeRevoked: q.include_revoked === "true" }, q);
    return c.json({ items: result.items.map(publicApiKey), next_cursor: result.next_cursor }, 200);
  });
}
