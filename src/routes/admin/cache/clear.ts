import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { actorOf } from "../../../audit/audit.ts";
import { clearAll } from "../../../requests/response-cache.ts";
import { auditedCacheAction, cacheNamespace } from "../../../requests/cache-admin.ts";
import { CacheClearedSchema } from "./schemas.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/cache",
  operationId: "clearCache",
  tags: ["Cache"],
  summary: "Delete every cache entry of this network (only keys under its namespace; never the whole Redis database)",
  ...access({ roles: ["admin"], scope: "cache:write" }),
  responses: { 200: { description: "Cleared", content: { "application/json": { schema: CacheClearedSchema } } }, ...problemResponses(401, 403, 503) },
});

export function registerCacheClear(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const scope = `${cacheNamespace(s)}*`;
    const deleted = await auditedCacheAction(s, actorOf(c), "cache.clear", { type: "cache", id: null }, { scope }, () => clearAll(s));
    return c.json({ deleted, scope }, 200);
  });
}
