import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../http/router.ts";
import { problemResponses } from "../errors.ts";
import { access } from "../middleware/auth.ts";
import { CONTENT_TYPES, exposition, formatFor } from "../lib/metrics.ts";
import { processMetrics } from "../metrics/process.ts";
import { databaseGauges } from "../metrics/gauges.ts";
import { breakerFamilies } from "../metrics/breakers.ts";

const Text = z.string().openapi({ description: "Metric families (docs/metrics.md)" });

const route = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  tags: ["Operations"],
  summary: "Prometheus metrics: link and queue gauges from the database, this process's request, cache and limiter counters",
  ...access({ roles: ["admin", "operator"], scope: "metrics:read", metricsToken: true }),
  responses: {
    200: {
      description: "The text exposition format 0.0.4, or OpenMetrics 1.0 when the Accept header asks for application/openmetrics-text",
      content: { "text/plain": { schema: Text }, "application/openmetrics-text": { schema: Text } },
    },
    ...problemResponses(401, 403),
  },
});

export function registerMetrics(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const format = formatFor(c.req.header("accept"));
    const families = [...(await databaseGauges(s)), ...processMetrics(s).registry.families(), ...breakerFamilies(s)];
    return c.body(exposition(families, format), 200, { "Content-Type": CONTENT_TYPES[format], "Cache-Control": "no-store", Vary: "Accept" });
  });
}
