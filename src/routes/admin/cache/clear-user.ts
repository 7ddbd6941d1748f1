import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { App } from "../../../http/router.ts";
import { ApiError, problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { users } from "../../../../schema/index.ts";
import { clearUser, userIndexKey } from "../../../requests/response-cache.ts";
import { CacheClearedSchema } from "./schemas.ts";
import { auditedCacheAction, namespaceOf } from "./clear.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/cache/users/{id}",
  operationId: "clearUserCache",
  tags: ["Cache"],
  summary: "Delete one user's cache entries (found through the user's index)",
  ...access({ roles: ["admin"], scope: "cache:write" }),
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 200: { description: "Cleared", content: { "application/json": { schema: CacheClearedSchema } } }, ...problemResponses(401, 403, 404, 503) },
});

export function registerCacheClearUser(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const id = c.req.valid("param").id;
    const user = await s.db.orm.select({ id: users.id }).from(users).where(eq(users.id, id)).get();
    if (!user) throw new ApiError("not_found", { detail: "no such user" });
    const scope = namespaceOf(c).replace(/cache:$/, "") + userIndexKey(id);
    const deleted = await auditedCacheAction(c, "cache.clear_user", { type: "user", id }, {}, () => clearUser(s, id));
    return c.json({ deleted, scope }, 200);
  });
}
