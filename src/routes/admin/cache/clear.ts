import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { actorOf } from "../../../audit/audit.ts";
import { clearCacheAll } from "../../../requests/cache-admin.ts";
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
    return c.json(await clearCacheAll(c.get("services"), actorOf(c)), 200);
  });
}
