import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { cacheStats } from "../../../requests/response-cache.ts";
import { CacheStatsSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/cache/stats",
  operationId: "getCacheStats",
  tags: ["Cache"],
  summary: "Cache statistics: hits, misses, hit ratio, errors, keys, store, since when",
  ...access({ roles: ["admin"], scope: "cache:read" }),
  responses: { 200: { description: "Statistics", content: { "application/json": { schema: CacheStatsSchema } } }, ...problemResponses(401, 403) },
});

export function registerCacheStats(app: App) {
  app.openapi(route, async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(await cacheStats(c.get("services")), 200);
  });
}
