// The way out of a stuck direction without editing a database: the sender re-signs a sequence
// the peer never applied, leaving out the records the peer refused. See docs/transfer.md "Supersede".
import { eq, sql } from "drizzle-orm";
import { batchesOut } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { schemaVersion } from "../deps/db/database.ts";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import { ApiError } from "../errors.ts";
import { writeWithAudit, type AuditInput } from "../audit/audit.ts";
import { bounded } from "../lib/text.ts";
import { buildBatch, readOwnBatch, type BatchRecord } from "./batch/index.ts";
import { openingKeysOf, sealToOf, signingKeyOf } from "./keys.ts";
import { STATE, num, readState } from "./state.ts";
import { deadLetterStatements } from "./dead-letters.ts";
import { batchFileName, type ExportedBatch } from "./files.ts";

export interface SupersedeInput {
  omit: Array<{ kind: string; id: string }>;
  reason: string;
}

/**
 * Replaces our unacknowledged batch `sequence` with a new one (same sequence and prev_hash, a new
 * body without the omitted records, `supersedes` naming every earlier body). The omitted records
 * become outgoing dead letters, so nothing valid is lost: retrying one puts it back in the outbox.
 */
export async function supersedeBatch(
  s: Services,
  sequence: number,
  input: SupersedeInput,
  actor: Pick<AuditInput, "actorType" | "actorId" | "requestId" | "ip">,
): Promise<ExportedBatch & { superseded: string[]; omitted: number }> {
  const b = await s.db.orm.select().from(batchesOut).where(eq(batchesOut.sequence, sequence)).get();
  if (!b) throw new ApiError("not_found", { detail: `no outgoing batch ${sequence}` });
  if (b.acknowledgedAt) throw new ApiError("not_supersedable", { detail: `batch ${sequence} was acknowledged: the peer applied it` });
  const old = await s.batches.get("outbox", b.fileName);
  const own = old && (await readOwnBatch(old, { maxFileBytes: Number.MAX_SAFE_INTEGER, maxRawBytes: 64 * 1024 * 1024, maxRecords: 1_000_000 }, await openingKeysOf(s)));
  if (!own?.ok) throw new ApiError("not_supersedable", { detail: `the file of batch ${sequence} is missing or unreadable` });
  const key = (r: { kind: string; id: string }) => `${r.kind}\u0000${r.id}`;
  const omit = new Set(input.omit.map(key));
  const present = new Set(own.records.map(key));
  const missing = input.omit.find((o) => !present.has(key(o)));
  if (missing) throw new ApiError("validation_failed", { detail: `batch ${sequence} carries no ${bounded(missing.kind, 64)} record ${bounded(missing.id, 256)}` });
  const keep: BatchRecord[] = own.records.filter((r) => !omit.has(key(r)));
  const omitted = own.records.filter((r) => omit.has(key(r)));

  const previous = own.manifest as { prev_hash: string; body_sha256: string; supersedes?: string[] };
  const superseded = [...new Set([...(previous.supersedes ?? []), previous.body_sha256])].slice(-16);
  const built = await buildBatch({
    records: keep,
    source: s.config.networkId,
    destination: s.config.peerNetworkId,
    sequence,
    prevHash: previous.prev_hash,
    ack: num((await readState(s))[STATE.inLastSequence]),
    createdAt: s.clock.now(),
    ttlMs: s.config.transfer.ttlMs,
    signingKey: await signingKeyOf(s),
    seal: await sealToOf(s),
    schemaVersion: await schemaVersion(s.db),
    supersedes: superseded,
  });
  const fileName = batchFileName(s.config.networkId, s.config.peerNetworkId, sequence, built.manifest.batch_id);
  await s.batches.put("outbox", fileName, built.file);
  const reason = bounded(input.reason, 500);
  try {
    await writeWithAudit(
      s,
      [
        {
          ...actor,
          action: "transfer.supersede",
          targetType: "batch",
          targetId: built.manifest.batch_id,
          details: { sequence, replaces: b.id, omitted: omitted.map((r) => `${r.kind}/${r.id}`).slice(0, 20), reason },
        },
      ],
      [
        // Only while it is still unacknowledged and still the body we read.
        ...guard(s.db, sql`exists (select 1 from batches_out where sequence = ${sequence} and acknowledged_at is null and body_sha256 = ${previous.body_sha256})`),
        s.db.orm
          .update(batchesOut)
          .set({
            id: built.manifest.batch_id,
            fileName,
            records: keep.length,
            bytes: built.file.length,
            fileSha256: built.fileSha256,
            bodySha256: built.manifest.body_sha256,
            createdAt: built.manifest.created_at,
            expiresAt: built.manifest.expires_at,
            supersededBodies: JSON.stringify(superseded),
            peerOutcome: null,
            peerReason: null,
          })
          .where(eq(batchesOut.sequence, sequence)),
        ...deadLetterStatements(
          s,
          "out",
          sequence,
          omitted.map((record) => ({ record, reason: `left out when batch ${sequence} was superseded: ${reason}` })),
        ),
      ],
    );
  } catch (e) {
    await s.batches.delete("outbox", fileName).catch(() => {});
    if (isGuardFailure(e)) throw new ApiError("not_supersedable", { detail: `batch ${sequence} changed meanwhile (acknowledged or superseded): look again` });
    throw e;
  }
  await s.batches.delete("outbox", b.fileName);
  s.logger.log("warn", "batch superseded", { sequence, omitted: omitted.length });
  return { id: built.manifest.batch_id, sequence, records: keep.length, bytes: built.file.length, file_name: fileName, superseded, omitted: omitted.length };
}
