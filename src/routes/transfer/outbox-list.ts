import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { problemResponses } from "../../errors.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { exportedBatchView, listExportedBatches } from "../../transfer/exported.ts";

export const OutboxItemSchema = z
  .object({
    id: z.string(),
    sequence: z.number().int(),
    file_name: z.string(),
    records: z.number().int(),
    bytes: z.number().int(),
    sha256: z.string(),
    created_at: z.string(),
    expires_at: z.string(),
    acknowledged: z.boolean(),
    acknowledged_at: z.string().nullable(),
    resent: z.number().int(),
  })
  .openapi("OutboxBatch");

const route = createRoute({
  method: "get",
  path: "/v1/transfer/outbox",
  operationId: "listOutbox",
  tags: ["Transfer"],
  summary: "Batches this network exported (default: not yet acknowledged), oldest first",
  ...access(courierPolicy("transfer:read")),
  request: { query: PageQuery.extend({ include_acknowledged: z.enum(["true", "false"]).default("false") }) },
  responses: { 200: { description: "Batches", content: { "application/json": { schema: listSchema(OutboxItemSchema, "OutboxList") } } }, ...problemResponses(400, 401, 403) },
});

export function registerOutboxList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const result = await listExportedBatches(c.get("services"), { includeAcknowledged: q.include_acknowledged === "true" }, q);
    return c.json({ items: result.items.map(exportedBatchView), next_cursor: result.next_cursor }, 200);
  });
}
