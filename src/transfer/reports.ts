// What a receiver tells the sender about the sender's own batches, in its next batch: records it
// set aside (dead letters) and files it quarantined, so both sides' operators see them.
import { sql } from "drizzle-orm";
import { z } from "zod";
import { jsonChunks } from "../lib/chunks.ts";
import { MAX_REASON } from "../lib/text.ts";
import type { RecordKind } from "./contract.ts";

export const TransferReportSchema = z.object({
  id: z.string().min(1).max(64),
  type: z.enum(["dead_letter", "quarantined"]),
  /** The sender's batch the report is about. */
  sequence: z.number().int().nonnegative().nullable(),
  record_kind: z.string().max(64).nullable(),
  record_id: z.string().max(256).nullable(),
  record_version: z.number().nullable(),
  reason: z.string().max(MAX_REASON),
  at: z.string().max(40),
});
export type TransferReport = z.infer<typeof TransferReportSchema>;

const j = (path: string) => sql.raw(`json_extract(value, '$.${path}')`);

export const transferReportKind: RecordKind<TransferReport> = {
  kind: "transfer_report",
  owner: "both",
  schemaVersion: 1,
  schema: TransferReportSchema,
  idOf: (d) => d.id,
  apply: (s, rows) =>
    jsonChunks(rows).flatMap((chunk) => [
      s.db.orm.run(sql`
        INSERT INTO dead_letters (id, side, batch_sequence, kind, record_id, record_version, schema_version, record, reason, status, created_at)
        SELECT ${j("id")}, 'peer', ${j("sequence")}, coalesce(${j("record_kind")}, '?'), coalesce(${j("record_id")}, '?'), ${j("record_version")}, NULL, NULL, ${j("reason")}, 'open', ${j("at")}
        FROM json_each(${chunk}) WHERE ${j("type")} = 'dead_letter'
        ON CONFLICT(id) DO NOTHING`),
      s.db.orm.run(sql`
        UPDATE batches_out SET peer_outcome = 'quarantined',
          peer_reason = (SELECT ${j("reason")} FROM json_each(${chunk}) WHERE ${j("type")} = 'quarantined' AND ${j("sequence")} = batches_out.sequence ORDER BY ${j("at")} DESC LIMIT 1)
        WHERE acknowledged_at IS NULL AND sequence IN (SELECT ${j("sequence")} FROM json_each(${chunk}) WHERE ${j("type")} = 'quarantined')`),
    ]),
};
