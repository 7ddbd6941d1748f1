import { z } from "zod";
import { and, eq, isNull, type SQL } from "drizzle-orm";
import { batchesOut } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";

// The batches this network exported, as couriers list and download them.

export type ExportedBatchRow = typeof batchesOut.$inferSelect;

export const exportedBatchView = (b: ExportedBatchRow) => ({
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

const OLDEST_FIRST = keyset<ExportedBatchRow>([{ name: "s", column: batchesOut.sequence, order: "asc", cursor: z.number().int(), of: (b) => b.sequence }]);

/** Exported batches, oldest first; acknowledged ones only when asked. */
export function listExportedBatches(s: Services, f: { includeAcknowledged: boolean }, req: PageRequest): Promise<Page<ExportedBatchRow>> {
  const where: Array<SQL | undefined> = [f.includeAcknowledged ? undefined : isNull(batchesOut.acknowledgedAt)];
  return OLDEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(batchesOut)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}

export function getExportedBatch(s: Services, id: string): Promise<ExportedBatchRow | undefined> {
  return s.db.orm.select().from(batchesOut).where(eq(batchesOut.id, id)).get();
}

/** A batch and its file as stored (the exact bytes a courier carries); 404 when either is gone. */
export async function exportedBatchFile(s: Services, id: string): Promise<{ batch: ExportedBatchRow; file: Uint8Array }> {
  const batch = await getExportedBatch(s, id);
  const file = batch && (await s.batches.get("outbox", batch.fileName));
  if (!batch || !file) throw new ApiError("not_found", { detail: `no exported batch ${id}` });
  return { batch, file };
}
