import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { ApiError, problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { actorOf } from "../../../audit/audit.ts";
import { getUser } from "../../../identity/users.ts";
import { clearUser, userIndexKey } from "../../../requests/response-cache.ts";
import { auditedCacheAction, cacheNamespace } from "../../../requests/cache-admin.ts";
import { CacheClearedSchema } from "./schemas.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/cache/users/{id}",
  operationId: "clearUserCache",
  tags: ["Cache"],
  summary: "Delete one user's cache entries (found through the user's index)",
  ...access({ roles: ["admin"], scope: "cache:write" }),
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: { 200: { description: "Cleared", content: { "application/json": { schema: CacheClearedSchema } } }, ...problemResponses(401, 403, 404, 503) },
});

export function registerCacheClearUser(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const id = c.req.valid("param").id;
    if (!(await getUser(s, id))) throw new ApiError("not_found", { detail: "no such user" });
    const scope = cacheNamespace(s).replace(/cache:$/, "") + userIndexKey(id);
    const deleted = await auditedCacheAction(s, actorOf(c), "cache.clear_user", { type: "user", id }, {}, () => clearUser(s, id));
    return c.json({ deleted, scope }, 200);
  });
}
