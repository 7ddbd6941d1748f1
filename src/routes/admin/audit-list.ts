import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { listAuditEntries, publicAuditEntry } from "../../audit/entries.ts";

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

export function registerAuditList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const filter = { action: q.action, actorId: q.actor_id, targetId: q.target_id, outcome: q.outcome, since: q.since, until: q.until };
    const result = await listAuditEntries(c.get("services"), filter, q);
    return c.json({ items: result.items.map(publicAuditEntry), next_cursor: result.next_cursor }, 200);
  });
}
