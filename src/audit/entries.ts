import { z } from "zod";
import { and, eq, gte, lte, type SQL } from "drizzle-orm";
import { auditLog } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";

type AuditRow = typeof auditLog.$inferSelect;

/** An audit entry as the API shows it. */
export const publicAuditEntry = (r: AuditRow) => ({
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

export interface AuditFilter {
  action?: string;
  actorId?: string;
  targetId?: string;
  outcome?: "success" | "failure";
  /** ISO 8601 bounds, inclusive. */
  since?: string;
  until?: string;
}

const NEWEST_FIRST = keyset<AuditRow>([{ name: "s", column: auditLog.seq, order: "desc", cursor: z.number().int(), of: (r) => r.seq }]);

/** The audit log, newest first. */
export function listAuditEntries(s: Services, f: AuditFilter, req: PageRequest): Promise<Page<AuditRow>> {
  const where: Array<SQL | undefined> = [
    f.action ? eq(auditLog.action, f.action) : undefined,
    f.actorId ? eq(auditLog.actorId, f.actorId) : undefined,
    f.targetId ? eq(auditLog.targetId, f.targetId) : undefined,
    f.outcome ? eq(auditLog.outcome, f.outcome) : undefined,
    f.since ? gte(auditLog.at, new Date(f.since).toISOString()) : undefined,
    f.until ? lte(auditLog.at, new Date(f.until).toISOString()) : undefined,
  ];
  return NEWEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(auditLog)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}
