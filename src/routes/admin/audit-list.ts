import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { auditLog } from "../../../schema/index.ts";
import { PageQuery, decodeCursor, listSchema, page } from "../../lib/pagination.ts";

export const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    network: z.string(),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    outcome: z.string(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditEntry");

const Cursor = z.object({ s: z.number().int() });

const route = createRoute({
  method: "get",
  path: "/v1/admin/audit",
  operationId: "listAuditEvents",
  tags: ["Audit"],
  summary: "The audit log, newest first (filters, cursor pagination)",
  ...access({ roles: ["admin"], scope: "audit:read" }),
  request: {
    query: PageQuery.extend({
      action: z.string().max(64).optional(),
      actor_id: z.string().max(140).optional(),
      target_id: z.string().max(64).optional(),
      outcome: z.enum(["success", "failure"]).optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      until: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: { 200: { description: "Entries", content: { "application/json": { schema: listSchema(AuditEntrySchema, "AuditList") } } }, ...problemResponses(400, 401, 403) },
});

type Row = typeof auditLog.$inferSelect;
export const publicAuditEntry = (r: Row) => ({
  seq: r.seq,
  id: r.id,
  at: r.at,
  network: r.network,
  actor_type: r.actorType,
  actor_id: r.actorId,
  action: r.action,
  target_type: r.targetType,
  target_id: r.targetId,
  outcome: r.outcome,
  request_id: r.requestId,
  ip: r.ip,
  details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
  prev_hash: r.prevHash,
  hash: r.hash,
});

export function registerAuditList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeCursor(q.cursor, Cursor);
    const where: Array<SQL | undefined> = [
      q.action ? eq(auditLog.action, q.action) : undefined,
      q.actor_id ? eq(auditLog.actorId, q.actor_id) : undefined,
      q.target_id ? eq(auditLog.targetId, q.target_id) : undefined,
      q.outcome ? eq(auditLog.outcome, q.outcome) : undefined,
      q.since ? gte(auditLog.at, new Date(q.since).toISOString()) : undefined,
      q.until ? lte(auditLog.at, new Date(q.until).toISOString()) : undefined,
      cursor ? lt(auditLog.seq, cursor.s) : undefined,
    ];
    const rows = await c.get("services").db.orm.select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.seq)).limit(q.limit + 1).all();
    const result = page(rows, q.limit, (r) => ({ s: r.seq }));
    return c.json({ items: result.items.map(publicAuditEntry), next_cursor: result.next_cursor }, 200);
  });
}
