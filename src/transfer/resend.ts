// Re-signing unacknowledged batches, and removing the files a crash left behind.
import { and, asc, desc, eq, gt, isNull, lte } from "drizzle-orm";
import { batchesOut } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { writeWithAudit } from "../audit/audit.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { decodeBatchFile, encodeBatchFile, signManifest, unverifiedManifestOf, type SignedManifest } from "./batch/index.ts";
import { STATE, num, readState } from "./state.ts";
import { batchFileName, type ExportedBatch } from "./files.ts";

const SEQUENCE_IN_NAME = /--(\d{8})--[^/]*\.batch$/;

/**
 * Files in the outbox area that no row points at, for sequences already committed: written by an
 * export or resend that crashed (or lost a race) before its commit, or replaced by a resend.
 */
export async function sweepOutbox(s: Services): Promise<number> {
  const last = (await s.db.orm.select({ seq: batchesOut.sequence }).from(batchesOut).orderBy(desc(batchesOut.sequence)).limit(1).get())?.seq ?? 0;
  const files = await s.batches.list("outbox");
  if (!files.length) return 0;
  const referenced = new Set((await s.db.orm.select({ f: batchesOut.fileName }).from(batchesOut).where(gt(batchesOut.sequence, 0)).all()).map((r) => r.f));
  let removed = 0;
  for (const f of files) {
    const seq = Number(SEQUENCE_IN_NAME.exec(f.name)?.[1] ?? NaN);
    if (referenced.has(f.name) || !(seq <= last)) continue; // in use, or maybe an export still running
    await s.batches.delete("outbox", f.name);
    removed++;
  }
  return removed;
}

/**
 * Batches unacknowledged past the threshold are re-signed with a fresh expiry
 * and the current ack. Same sequence, same body (so the chain still holds):
 * the receiver applies whichever copy arrives first and reports the other as a replay.
 * The copy gets a file name of its own, committed before the old file goes.
 */
export async function resendStale(s: Services, key: { key: CryptoKey; keyId: string }): Promise<ExportedBatch[]> {
  const cutoff = new Date(s.clock.now().getTime() - s.config.transfer.ackWarnMs).toISOString();
  const stale = await s.db.orm
    .select()
    .from(batchesOut)
    .where(and(isNull(batchesOut.acknowledgedAt), lte(batchesOut.createdAt, cutoff), gt(batchesOut.records, 0)))
    .orderBy(asc(batchesOut.sequence))
    .all();
  const ack = num((await readState(s))[STATE.inLastSequence]);
  const out: ExportedBatch[] = [];
  for (const b of stale) {
    const old = await s.batches.get("outbox", b.fileName);
    const decoded = old && decodeBatchFile(old);
    const previous = decoded?.ok ? unverifiedManifestOf(decoded) : undefined;
    if (!decoded?.ok || !previous?.ok) {
      s.logger.log("error", "cannot resend: batch file missing or unreadable", { sequence: b.sequence, file: b.fileName });
      continue;
    }
    const now = s.clock.now();
    const manifest = {
      ...previous.manifest,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + s.config.transfer.ttlMs).toISOString(),
      ack,
      key_id: key.keyId,
    } as SignedManifest;
    const file = encodeBatchFile(await signManifest(manifest, key), decoded.body);
    const fileName = batchFileName(s.config.networkId, s.config.peerNetworkId, b.sequence, b.id, b.resentCount + 1);
    await s.batches.put("outbox", fileName, file);
    await writeWithAudit(
      s,
      [{ actorType: "system", action: "transfer.resend", targetType: "batch", targetId: b.id, details: { sequence: b.sequence, resent: b.resentCount + 1 } }],
      [
        s.db.orm
          .update(batchesOut)
          .set({ fileName, fileSha256: await sha256Hex(file), bytes: file.length, expiresAt: manifest.expires_at, resentCount: b.resentCount + 1, lastResentAt: now.toISOString() })
          .where(eq(batchesOut.sequence, b.sequence)),
      ],
    );
    await s.batches.delete("outbox", b.fileName);
    out.push({ id: b.id, sequence: b.sequence, records: b.records, bytes: file.length, file_name: fileName });
  }
  return out;
}
