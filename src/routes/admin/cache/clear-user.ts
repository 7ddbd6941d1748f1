import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { actorOf } from "../../../audit/audit.ts";
import { clearCacheUser } from "../../../requests/cache-admin.ts";
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
    return c.json(await clearCacheUser(c.get("services"), actorOf(c), c.req.valid("param").id), 200);
  });
}
