import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { cacheHealth } from "../../../requests/response-cache.ts";
import { CacheHealthSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/cache/health",
  operationId: "getCacheHealth",
  tags: ["Cache"],
  summary: "Whether the cache store answers, and how fast (200 either way; `status` says)",
  ...access({ roles: ["admin"], scope: "cache:read" }),
  responses: { 200: { description: "Health", content: { "application/json": { schema: CacheHealthSchema } } }, ...problemResponses(401, 403) },
});

export function registerCacheHealth(app: App) {
  app.openapi(route, async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(await cacheHealth(c.get("services")), 200);
  });
}
