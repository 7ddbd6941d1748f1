// Dead letters: records set aside instead of stopping the link, kept with their reason until an
// admin retries them (after an upgrade, or a raised limit). See docs/transfer.md "Dead letters".
import { z } from "zod";
import { and, eq } from "drizzle-orm";
import { deadLetters } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { ApiError } from "../errors.ts";
import { writeWithAudit, type AuditInput } from "../audit/audit.ts";
import { newId } from "../lib/ids.ts";
import { bounded, MAX_REASON } from "../lib/text.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";
import type { BatchRecord } from "./batch/index.ts";
import { judgeRecords } from "./judge.ts";
import { outboxInsert } from "./outbox.ts";
import { transferReportKind, type TransferReport } from "./reports.ts";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** A report for the peer about one of its batches, as an outbox row (in the same atomic batch). */
export function reportStatement(s: Services, report: Omit<TransferReport, "id" | "at">): Statement {
  const full: TransferReport = { id: newId("rpt"), at: s.clock.now().toISOString(), ...report, reason: bounded(report.reason, MAX_REASON) };
  return outboxInsert(s, transferReportKind.kind, full.id, 1, full);
}

/**
 * Records received in batch `sequence` and set aside: kept for retry, and reported to the peer in
 * our next batch (except reports themselves, so two sides can never echo reports forever).
 */
export function deadLetterStatements(s: Services, side: "in" | "out", sequence: number | null, dead: Array<{ record: BatchRecord; reason: string }>): Statement[] {
  const now = s.clock.now().toISOString();
  const out: Statement[] = [];
  for (const { record, reason } of dead) {
    const why = bounded(reason, MAX_REASON);
    out.push(
      s.db.orm.insert(deadLetters).values({
        id: newId("dlt"),
        side,
        batchSequence: sequence,
        kind: bounded(record.kind, 64),
        recordId: bounded(record.id, 256),
        recordVersion: Number.isFinite(record.version) ? record.version : null,
        schemaVersion: record.schema ?? 1,
        record: JSON.stringify(record),
        reason: why,
        status: "open",
        createdAt: now,
      }),
    );
    if (side === "in" && record.kind !== transferReportKind.kind) {
      out.push(
        reportStatement(s, {
          type: "dead_letter",
          sequence,
          record_kind: bounded(record.kind, 64),
          record_id: bounded(record.id, 256),
          record_version: Number.isFinite(record.version) ? record.version : null,
          reason: why,
        }),
      );
    }
  }
  return out;
}

/**
 * Retries one dead letter. "in": the record is judged again by this release and applied (a newer
 * or equal version already applied makes it a no-op); "out": it goes back into our outbox.
 * Still invalid: 422 with the reason, nothing changes.
 */
export async function retryDeadLetter(s: Services, id: string, actor: Pick<AuditInput, "actorType" | "actorId" | "requestId" | "ip">): Promise<DeadLetterRow> {
  const row = await s.db.orm.select().from(deadLetters).where(eq(deadLetters.id, id)).get();
  if (!row) throw new ApiError("not_found", { detail: `no dead letter ${id}` });
  if (row.status !== "open") throw new ApiError("conflict", { detail: `dead letter ${id} is already ${row.status}` });
  if (row.side === "peer" || !row.record) throw new ApiError("conflict", { detail: "the peer holds this record: retry it on the other network" });
  const record = JSON.parse(row.record) as BatchRecord;
  const now = s.clock.now().toISOString();
  // Ours ("out"): the outbox checks it as the peer will. Theirs ("in"): judged by this release.
  const received = row.side === "in" ? judgeAgain(record) : null;
  const statements = received
    ? received.kind.apply(s, [received.value as never], { batchSequence: row.batchSequence ?? 0, receivedAt: now })
    : [outboxInsert(s, record.kind, record.id, record.version, record.data)];
  const status = row.side === "in" ? "applied" : "requeued";
  const resolvedBy = actor.actorId ?? actor.actorType;
  await writeWithAudit(
    s,
    [
      {
        ...actor,
        action: "transfer.dead_letter.retry",
        targetType: "dead_letter",
        targetId: id,
        details: { side: row.side, kind: row.kind, record_id: row.recordId, result: status },
      },
    ],
    [
      ...statements,
      s.db.orm
        .update(deadLetters)
        .set({ status, resolvedAt: now, resolvedBy })
        .where(and(eq(deadLetters.id, id), eq(deadLetters.status, "open"))),
    ],
  );
  if (received) await received.kind.afterApply?.(s, [received.value as never]).catch((e) => s.logger.log("error", "after-apply hook failed", { error: e, dead_letter: id }));
  return { ...row, status, resolvedAt: now, resolvedBy };
}

/** A received record, judged as the importer judges one (judge.ts); still invalid: 422 with the reason. */
function judgeAgain(record: BatchRecord) {
  const { accepted, dead } = judgeRecords([record]);
  if (dead.length) throw new ApiError("dead_letter_invalid", { detail: dead[0].reason });
  return accepted[0];
}

const NEWEST_FIRST = keyset<DeadLetterRow>([{ name: "i", column: deadLetters.id, order: "desc", cursor: z.string(), of: (r) => r.id }]);

/** Newest first, optionally by side and status. */
export function listDeadLetters(s: Services, f: { side?: DeadLetterRow["side"]; status?: DeadLetterRow["status"] }, req: PageRequest): Promise<Page<DeadLetterRow>> {
  const where = [f.side ? eq(deadLetters.side, f.side) : undefined, f.status ? eq(deadLetters.status, f.status) : undefined];
  return NEWEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(deadLetters)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}

export function deadLetterView(r: DeadLetterRow) {
  return {
    id: r.id,
    side: r.side,
    batch_sequence: r.batchSequence,
    kind: r.kind,
    record_id: r.recordId,
    record_version: r.recordVersion,
    schema_version: r.schemaVersion,
    reason: r.reason,
    status: r.status,
    created_at: r.createdAt,
    resolved_at: r.resolvedAt,
    resolved_by: r.resolvedBy,
  };
}
