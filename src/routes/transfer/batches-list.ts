import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { batchesIn } from "../../../schema/index.ts";
import { PageQuery, decodeCursor, listSchema, page } from "../../lib/pagination.ts";
import { courierAccess } from "./access.ts";
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

type Row = typeof batchesIn.$inferSelect;
export const receipt = (b: Row) => ({
  receipt_id: b.id,
  batch_id: b.batchId,
  sequence: b.sequence,
  source_network: b.sourceNetwork,
  file_name: b.fileName,
  sha256: b.fileSha256,
  bytes: b.bytes,
  records: b.records,
  outcome: b.outcome,
  reason: b.reason,
  received_at: b.receivedAt,
  applied_at: b.appliedAt,
  attempts: b.attempts,
});

const route = createRoute({
  method: "get",
  path: "/v1/transfer/batches",
  operationId: "listReceivedBatches",
  tags: ["Transfer"],
  summary: "Batches received, newest first, with their outcome",
  ...courierAccess("transfer:read"),
  request: { query: PageQuery.extend({ outcome: ReceiptOutcomeSchema.optional() }) },
  responses: { 200: { description: "Receipts", content: { "application/json": { schema: listSchema(ReceiptSchema, "ReceivedBatchList") } } }, ...problemResponses(400, 401, 403) },
});

export function registerBatchesList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeCursor(q.cursor, z.object({ i: z.string() }));
    const where: Array<SQL | undefined> = [q.outcome ? eq(batchesIn.outcome, q.outcome) : undefined, cursor ? lt(batchesIn.id, cursor.i) : undefined];
    const rows = await c.get("services").db.orm.select().from(batchesIn).where(and(...where)).orderBy(desc(batchesIn.id)).limit(q.limit + 1).all();
    const result = page(rows, q.limit, (b) => ({ i: b.id }));
    return c.json({ items: result.items.map(receipt), next_cursor: result.next_cursor }, 200);
  });
}
