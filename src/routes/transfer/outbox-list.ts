import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, gt, isNull, type SQL } from "drizzle-orm";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { batchesOut } from "../../../schema/index.ts";
import { PageQuery, decodeCursor, listSchema, page } from "../../lib/pagination.ts";
import { courierAccess } from "./access.ts";

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
  ...courierAccess("transfer:read"),
  request: { query: PageQuery.extend({ include_acknowledged: z.enum(["true", "false"]).default("false") }) },
  responses: { 200: { description: "Batches", content: { "application/json": { schema: listSchema(OutboxItemSchema, "OutboxList") } } }, ...problemResponses(400, 401, 403) },
});

type Row = typeof batchesOut.$inferSelect;
const item = (b: Row) => ({
  id: b.id,
  sequence: b.sequence,
  file_name: b.fileName,
  records: b.records,
  bytes: b.bytes,
  sha256: b.fileSha256,
  created_at: b.createdAt,
  expires_at: b.expiresAt,
  acknowledged: b.acknowledgedAt !== null,
  acknowledged_at: b.acknowledgedAt,
  resent: b.resentCount,
});

export function registerOutboxList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeCursor(q.cursor, z.object({ s: z.number().int() }));
    const where: Array<SQL | undefined> = [q.include_acknowledged === "true" ? undefined : isNull(batchesOut.acknowledgedAt), cursor ? gt(batchesOut.sequence, cursor.s) : undefined];
    const rows = await c.get("services").db.orm.select().from(batchesOut).where(and(...where)).orderBy(asc(batchesOut.sequence)).limit(q.limit + 1).all();
    const result = page(rows, q.limit, (b) => ({ s: b.sequence }));
    return c.json({ items: result.items.map(item), next_cursor: result.next_cursor }, 200);
  });
}
