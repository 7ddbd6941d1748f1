import { z } from "zod";
import { and, eq, type SQL } from "drizzle-orm";
import { batchesIn } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";

// The batches this network received (one receipt per stored file), with their outcome.

export type ReceiptRow = typeof batchesIn.$inferSelect;

export const receiptView = (b: ReceiptRow) => ({
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

const NEWEST_FIRST = keyset<ReceiptRow>([{ name: "i", column: batchesIn.id, order: "desc", cursor: z.string(), of: (b) => b.id }]);

/** Receipts, newest first, optionally of one outcome. */
export function listReceipts(s: Services, f: { outcome?: ReceiptRow["outcome"] }, req: PageRequest): Promise<Page<ReceiptRow>> {
  const where: Array<SQL | undefined> = [f.outcome ? eq(batchesIn.outcome, f.outcome) : undefined];
  return NEWEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(batchesIn)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}
