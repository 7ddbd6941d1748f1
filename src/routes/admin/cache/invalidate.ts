import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { actorOf } from "../../../audit/audit.ts";
import { invalidateCache } from "../../../requests/cache-admin.ts";
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
    return c.json(await invalidateCache(c.get("services"), actorOf(c), c.req.valid("json").pattern), 200);
  });
}
