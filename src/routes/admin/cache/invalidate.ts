import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { invalidatePattern } from "../../../requests/response-cache.ts";
import { actorOf } from "../../../audit/audit.ts";
import { auditedCacheAction, cacheNamespace } from "../../../requests/cache-admin.ts";
import { CacheClearedSchema, InvalidateSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/cache/invalidate",
  operationId: "invalidateCache",
  tags: ["Cache"],
  summary: "Delete the cache entries whose keys match a pattern (found with SCAN, never KEYS)",
  ...access({ roles: ["admin"], scope: "cache:write" }),
  request: { body: { required: true, content: { "application/json": { schema: InvalidateSchema } } } },
  responses: { 200: { description: "Deleted", content: { "application/json": { schema: CacheClearedSchema } } }, ...problemResponses(400, 401, 403, 503) },
});

export function registerCacheInvalidate(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const { pattern } = c.req.valid("json");
    const scope = cacheNamespace(s) + pattern;
    const deleted = await auditedCacheAction(s, actorOf(c), "cache.invalidate", { type: "cache", id: null }, { pattern, scope }, () => invalidatePattern(s, pattern));
    return c.json({ deleted, scope }, 200);
  });
}
