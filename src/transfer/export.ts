import { and, asc, desc, eq, gt, isNull, lte, sql, gte } from "drizzle-orm";
import { auditLog, batchesOut, outbox } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import { writeWithAudit } from "../audit/audit.ts";
import { buildBatch, decodeBatchFile, encodeBatchFile, signManifest, splitRecords, ZERO_HASH, type BatchRecord, type Manifest } from "./batch/index.ts";
import { signingKeyOf } from "./keys.ts";
import { STATE, num, readState, setState } from "./state.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { markExported } from "../requests/apply.ts";

export interface ExportedBatch {
  id: string;
  sequence: number;
  records: number;
  bytes: number;
  file_name: string;
}

export const batchFileName = (source: string, destination: string, sequence: number) => `${source}--${destination}--${String(sequence).padStart(8, "0")}.batch`;

/** At most this many batches per run, so one cron invocation stays within Workers' CPU limits. */
const MAX_BATCHES_PER_RUN = 20;

type OutboxRow = typeof outbox.$inferSelect;
type AuditRow = typeof auditLog.$inferSelect;

/** What the next batch could carry: pending outbox rows, and (request network) audit entries not yet sent. */
async function pending(s: Services, auditFrom: number) {
  const max = s.config.transfer.maxRecords;
  const rows = await s.db.orm.select().from(outbox).where(isNull(outbox.batchSequence)).orderBy(asc(outbox.seq)).limit(max).all();
  const audits: AuditRow[] =
    s.config.role === "request" && rows.length < max
      ? await s.db.orm.select().from(auditLog).where(gt(auditLog.seq, auditFrom)).orderBy(asc(auditLog.seq)).limit(max - rows.length).all()
      : [];
  return { rows, audits };
}

/** The records, and where each came from (so the export can mark exactly those it carried). */
function toRecords(rows: OutboxRow[], audits: AuditRow[]) {
  const origin = new Map<BatchRecord, { src: "outbox" | "audit"; seq: number }>();
  for (const r of rows) origin.set({ kind: r.kind, id: r.entityId, version: r.version, data: JSON.parse(r.payload) as Record<string, unknown> }, { src: "outbox", seq: r.seq });
  for (const a of audits) origin.set({ kind: "audit", id: a.id, version: a.seq, data: { ...a } }, { src: "audit", seq: a.seq });
  return origin;
}

/**
 * Turns the outbox into signed batch files in the batch store. Each batch is
 * committed atomically with the marking of its records; a concurrent exporter
 * that took the same sequence makes this one fail without effect.
 */
export async function exportBatches(s: Services, opts: { resend?: boolean } = {}): Promise<{ exported: ExportedBatch[]; resent: ExportedBatch[] }> {
  const key = await signingKeyOf(s);
  const resent = opts.resend ? await resendStale(s, key) : [];
  const exported: ExportedBatch[] = [];
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const state = await readState(s);
    const ack = num(state[STATE.inLastSequence]);
    const { rows, audits } = await pending(s, num(state[STATE.outAuditSeq]));
    // Audit entries of transfers alone do not make a batch (each batch is audited: that would never stop).
    const work = rows.length > 0 || audits.some((a) => !a.action.startsWith("transfer."));
    const ackNeeded = num(state[STATE.inLastWithRecords]) > num(state[STATE.outLastAckSent]);
    if (!work && !ackNeeded) break;

    const origin = toRecords(work ? rows : [], work ? audits : []);
    const group = origin.size ? splitRecords([...origin.keys()], { maxRecords: s.config.transfer.maxRecords, maxRawBytes: s.config.transfer.maxRawBytes })[0] : [];
    const last = await s.db.orm.select().from(batchesOut).orderBy(desc(batchesOut.sequence)).limit(1).get();
    const sequence = (last?.sequence ?? 0) + 1;
    const built = await buildBatch({
      records: group,
      source: s.config.networkId,
      destination: s.config.peerNetworkId,
      sequence,
      prevHash: last?.bodySha256 || ZERO_HASH,
      ack,
      createdAt: s.clock.now(),
      ttlMs: s.config.transfer.ttlMs,
      signingKey: key,
    });
    const fileName = batchFileName(s.config.networkId, s.config.peerNetworkId, sequence);
    // The file first: the listing (the database) only shows it once both exist.
    await s.batches.put("outbox", fileName, built.file);

    const carried = group.map((r) => origin.get(r)!);
    const outboxSeqs = carried.filter((o) => o.src === "outbox").map((o) => o.seq);
    const auditSeqs = carried.filter((o) => o.src === "audit").map((o) => o.seq);
    const statements: Statement[] = [
      ...guard(s.db, sql`not exists (select 1 from batches_out where sequence >= ${sequence})`),
      s.db.orm.insert(batchesOut).values({
        sequence,
        id: built.manifest.batch_id,
        fileName,
        records: group.length,
        bytes: built.file.length,
        fileSha256: built.fileSha256,
        bodySha256: built.manifest.body_sha256,
        createdAt: built.manifest.created_at,
        expiresAt: built.manifest.expires_at,
      }),
      setState(s, STATE.outLastAckSent, ack),
    ];
    if (outboxSeqs.length) {
      statements.push(
        s.db.orm
          .update(outbox)
          .set({ batchSequence: sequence })
          .where(and(gte(outbox.seq, Math.min(...outboxSeqs)), lte(outbox.seq, Math.max(...outboxSeqs)), isNull(outbox.batchSequence))),
      );
    }
    if (auditSeqs.length) statements.push(setState(s, STATE.outAuditSeq, Math.max(...auditSeqs)));
    // Requests carried for the first time become "exported", with this batch in their timeline.
    const carriedRequests = group.filter((r) => r.kind === "request").map((r) => r.id);
    if (carriedRequests.length) statements.push(...markExported(s, carriedRequests, sequence));
    try {
      await writeWithAudit(
        s,
        [{ actorType: "system", action: "transfer.export", targetType: "batch", targetId: built.manifest.batch_id, details: { sequence, records: group.length, bytes: built.file.length, ack, counts: built.manifest.counts } }],
        statements,
      );
    } catch (e) {
      if (isGuardFailure(e)) break; // another exporter took this sequence (it wrote its own file under the name)
      await s.batches.delete("outbox", fileName).catch(() => {});
      throw e;
    }
    s.logger.log("info", "batch exported", { sequence, records: group.length, bytes: built.file.length, ack });
    exported.push({ id: built.manifest.batch_id, sequence, records: group.length, bytes: built.file.length, file_name: fileName });
  }
  return { exported, resent };
}

/**
 * Batches unacknowledged past the threshold are re-signed with a fresh expiry
 * and the current ack. Same sequence, same body (so the chain still holds):
 * the receiver applies whichever copy arrives first and reports the other as a replay.
 */
async function resendStale(s: Services, key: { key: CryptoKey; keyId: string }): Promise<ExportedBatch[]> {
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
    if (!decoded || !decoded.ok) {
      s.logger.log("error", "cannot resend: batch file missing or unreadable", { sequence: b.sequence, file: b.fileName });
      continue;
    }
    const previous = JSON.parse(new TextDecoder().decode(base64urlDecode(decoded.jws.split(".")[1]))) as Manifest;
    const now = s.clock.now();
    const manifest: Manifest = { ...previous, created_at: now.toISOString(), expires_at: new Date(now.getTime() + s.config.transfer.ttlMs).toISOString(), ack, key_id: key.keyId };
    const file = encodeBatchFile(await signManifest(manifest, key), decoded.body);
    await s.batches.put("outbox", b.fileName, file);
    await writeWithAudit(
      s,
      [{ actorType: "system", action: "transfer.resend", targetType: "batch", targetId: b.id, details: { sequence: b.sequence, resent: b.resentCount + 1 } }],
      [
        s.db.orm
          .update(batchesOut)
          .set({ fileSha256: await sha256Hex(file), bytes: file.length, expiresAt: manifest.expires_at, resentCount: b.resentCount + 1, lastResentAt: now.toISOString() })
          .where(eq(batchesOut.sequence, b.sequence)),
      ],
    );
    out.push({ id: b.id, sequence: b.sequence, records: b.records, bytes: file.length, file_name: b.fileName });
  }
  return out;
}

function base64urlDecode(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
