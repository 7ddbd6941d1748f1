import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess, type App } from "../http/router.ts";
import { problemResponses } from "../errors.ts";

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");
export type HealthResponse = z.infer<typeof HealthSchema>;

const route = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  ...publicAccess(),
  tags: ["Operations"],
  summary: "Liveness: the process answers",
  // 401 only when credentials are sent and invalid: they are checked on every path.
  responses: { 200: { description: "Alive", content: { "application/json": { schema: HealthSchema } } }, ...problemResponses(401) },
});

export function registerHealth(app: App) {
  app.openapi(route, (c) => c.json({ status: "ok" as const }, 200));
}
