import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../lib/router.ts";

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");
export type HealthResponse = z.infer<typeof HealthSchema>;

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  summary: "Liveness: the process answers",
  responses: { 200: { description: "Alive", content: { "application/json": { schema: HealthSchema } } } },
});

export function registerHealth(app: App) {
  app.openapi(route, (c) => c.json({ status: "ok" as const }, 200));
}
