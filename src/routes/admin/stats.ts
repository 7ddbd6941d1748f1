import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { requestStats } from "../../requests/stats.ts";

const Latency = z.object({ count: z.number().int(), p50: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() });

export const AdminStatsSchema = z
  .object({
    network: z.string(),
    role: z.enum(["request", "response"]),
    generated_at: z.string(),
    since: z.string().openapi({ description: "Start of the window for per-user volumes and latencies" }),
    total: z.number().int(),
    by_status: z.record(z.string(), z.number().int()),
    oldest_pending: z.object({ id: z.string(), created_at: z.string(), age_seconds: z.number().int() }).nullable(),
    per_user: z.array(
      z.object({ user_id: z.string(), total: z.number().int(), answered: z.number().int(), rejected: z.number().int(), cancelled: z.number().int(), pending: z.number().int() }),
    ),
    answer_latency_seconds: Latency.openapi({ description: "Created → answered" }),
    delivery_latency_seconds: Latency.nullable().openapi({ description: "Request network: created → response available here" }),
  })
  .openapi("AdminStats");

const route = createRoute({
  method: "get",
  path: "/v1/admin/stats",
  operationId: "getRequestStats",
  tags: ["Admin"],
  summary: "Request statistics: counts by status, oldest pending age, per-user volumes, latency percentiles",
  ...access({ roles: ["admin"], scope: "stats:read" }),
  request: {
    query: z.object({
      since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Window start (default: 30 days ago)" }),
    }),
  },
  responses: { 200: { description: "Statistics", content: { "application/json": { schema: AdminStatsSchema } } }, ...problemResponses(400, 401, 403) },
});

export function registerAdminStats(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const q = c.req.valid("query");
    const since = q.since ? new Date(q.since).toISOString() : new Date(s.clock.now().getTime() - 30 * 86_400_000).toISOString();
    c.header("Cache-Control", "no-store");
    return c.json(await requestStats(s, since), 200);
  });
}
