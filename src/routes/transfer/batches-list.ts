import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { problemResponses } from "../../errors.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { listReceipts, receiptView } from "../../transfer/receipts.ts";
import { ReceiptOutcomeSchema } from "./schemas.ts";

export const ReceiptSchema = z
  .object({
    receipt_id: z.string(),
    batch_id: z.string().nullable(),
    sequence: z.number().int().nullable(),
    source_network: z.string().nullable(),
    file_name: z.string(),
    sha256: z.string(),
    bytes: z.number().int(),
    records: z.number().int().nullable(),
    outcome: ReceiptOutcomeSchema,
    reason: z.string().nullable(),
    received_at: z.string(),
    applied_at: z.string().nullable(),
    attempts: z.number().int(),
  })
  .openapi("ReceivedBatch");

const route = createRoute({
  method: "get",
  path: "/v1/transfer/batches",
  operationId: "listReceivedBatches",
  tags: ["Transfer"],
  summary: "Batches received, newest first, with their outcome",
  ...access(courierPolicy("transfer:read")),
  request: { query: PageQuery.extend({ outcome: ReceiptOutcomeSchema.optional() }) },
  responses: { 200: { description: "Receipts", content: { "application/json": { schema: listSchema(ReceiptSchema, "ReceivedBatchList") } } }, ...problemResponses(400, 401, 403) },
});

export function registerBatchesList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const result = await listReceipts(c.get("services"), { outcome: q.outcome }, q);
    return c.json({ items: result.items.map(receiptView), next_cursor: result.next_cursor }, 200);
  });
}
