// Turning the outbox into signed batch files; see docs/transfer.md "Export".
import { and, asc, desc, gt, inArray, isNull, lte, sql, gte } from "drizzle-orm";
import { auditLog, batchesOut, outbox } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { schemaVersion } from "../deps/db/database.ts";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import { writeWithAudit } from "../audit/audit.ts";
import { KIND_BY_NAME, RECORD_KINDS } from "../record-kinds.ts";
import { buildBatch, encodeRecordLine, storedRecordLine, takeLines, ZERO_HASH, type BatchRecord, type StoredRecord } from "./batch/index.ts";
import { bounded } from "../lib/text.ts";
import { sealToOf, signingKeyOf } from "./keys.ts";
import { STATE, num, readState, setState } from "./state.ts";
import { deadLetterStatements } from "./dead-letters.ts";
import { resendStale, sweepOutbox } from "./resend.ts";
import { batchFileName, type ExportedBatch } from "./files.ts";

export type { ExportedBatch } from "./files.ts";

/** At most this many batches per run, so one cron invocation stays within Workers' CPU limits. */
const MAX_BATCHES_PER_RUN = 20;
/** An outbox row set aside at export (too large, or not a valid envelope) is marked with this. */
const SET_ASIDE = 0;

/**
 * What a batch needs of the pending outbox rows, oldest first, each row as an array (thousands of
 * rows per batch: an object per row cost more than reading it). The last column: SQLite vouches (in
 * C, without building anything here) that the payload can go into its body line as it is: valid
 * JSON, an object, on one line.
 */
const PENDING_SQL = `SELECT seq, kind, entity_id, version, payload,
  json_valid(payload) AND substr(payload, 1, 1) = '{' AND instr(payload, char(10)) = 0
  FROM outbox WHERE batch_sequence IS NULL ORDER BY seq LIMIT ?`;
type OutboxRow = [seq: number, kind: string, entityId: string, version: number, payload: string, objectJson: number];
type AuditRow = typeof auditLog.$inferSelect;

/** A record the next batch may carry, and where it came from (so the export marks exactly those it carried). */
interface Item extends StoredRecord {
  src: "outbox" | "audit";
  seq: number;
  /** An audit entry's data (its `json` is unused). */
  data?: Record<string, unknown>;
}

/** What the next batch could carry: pending outbox rows, and (request network) audit entries not yet sent. */
async function pending(s: Services, auditFrom: number) {
  const max = s.config.transfer.maxRecords;
  const rows = (await s.db.prepareRead(PENDING_SQL).values([max])) as OutboxRow[];
  const audits: AuditRow[] =
    s.config.role === "request" && rows.length < max
      ? await s.db.orm
          .select()
          .from(auditLog)
          .where(gt(auditLog.seq, auditFrom))
          .orderBy(asc(auditLog.seq))
          .limit(max - rows.length)
          .all()
      : [];
  return { rows, audits };
}

const schemaOf = (kind: string) => KIND_BY_NAME.get(kind)?.schemaVersion ?? 1;

function toItems(rows: OutboxRow[], audits: AuditRow[]): Item[] {
  const items: Item[] = [];
  for (const [seq, kind, id, version, json, objectJson] of rows) items.push({ src: "outbox", seq, kind, id, version, schema: schemaOf(kind), json, objectJson: objectJson === 1 });
  const audit = schemaOf("audit");
  for (const a of audits) items.push({ src: "audit", seq: a.seq, kind: "audit", id: a.id, version: a.seq, schema: audit, json: "", objectJson: false, data: { ...a } });
  return items;
}

/** The item as a record envelope; a stored payload that is not JSON throws (the record is then set aside). */
const recordOf = (i: Item): BatchRecord => ({ kind: i.kind, id: i.id, version: i.version, schema: i.schema, data: i.data ?? (JSON.parse(i.json) as Record<string, unknown>) });

/** The body line: around the stored payload when it can be, else through the envelope check. */
const lineOf = (i: Item): string => (i.src === "outbox" && storedRecordLine(i)) || encodeRecordLine(recordOf(i));

/** For a dead letter: the record as far as it can be read. */
function recordForDeadLetter(i: Item): BatchRecord {
  try {
    return recordOf(i);
  } catch {
    return { kind: i.kind, id: i.id, version: i.version, schema: i.schema, data: { unreadable: bounded(i.json, 1000) } };
  }
}

/**
 * Turns the outbox into signed batch files in the batch store. Each batch is
 * committed atomically with the marking of its records; a concurrent exporter
 * that took the same sequence makes this one fail without effect.
 */
export async function exportBatches(s: Services, opts: { resend?: boolean } = {}): Promise<{ exported: ExportedBatch[]; resent: ExportedBatch[] }> {
  const key = await signingKeyOf(s);
  const seal = await sealToOf(s);
  await sweepOutbox(s).catch((e: unknown) => s.logger.log("error", "outbox sweep failed", { error: e }));
  const resent = opts.resend ? await resendStale(s, key) : [];
  const exported: ExportedBatch[] = [];
  const release = { schemaVersion: await schemaVersion(s.db) };
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const state = await readState(s);
    const ack = num(state[STATE.inLastSequence]);
    const { rows, audits } = await pending(s, num(state[STATE.outAuditSeq]));
    // Audit entries of transfers alone do not make a batch (each batch is audited: that would never stop).
    const work = rows.length > 0 || audits.some((a) => !a.action.startsWith("transfer."));
    const ackNeeded = num(state[STATE.inLastWithRecords]) > num(state[STATE.outLastAckSent]);
    const last = await s.db.orm.select().from(batchesOut).orderBy(desc(batchesOut.sequence)).limit(1).get();
    if (!work && !ackNeeded && !(await heartbeatDue(s, last?.createdAt, state[STATE.outIdleSince]))) break;

    // A record that could never cross (too large for any batch, or not a valid envelope) is set
    // aside as an outgoing dead letter instead of stopping every later export.
    const items = toItems(work ? rows : [], work ? audits : []);
    const { group, lines, rejected } = takeLines(items, { maxRecords: s.config.transfer.maxRecords, maxRawBytes: s.config.transfer.maxRawBytes }, lineOf);
    if (rejected.length) {
      await setAside(
        s,
        rejected.map((r) => ({ record: recordForDeadLetter(r.record), reason: r.reason, seq: r.record.seq })),
      );
      continue;
    }
    const sequence = (last?.sequence ?? 0) + 1;
    const built = await buildBatch({
      records: group,
      lines,
      source: s.config.networkId,
      destination: s.config.peerNetworkId,
      sequence,
      prevHash: last?.bodySha256 || ZERO_HASH,
      ack,
      createdAt: s.clock.now(),
      ttlMs: s.config.transfer.ttlMs,
      signingKey: key,
      seal,
      gzip: s.runtime.gzip,
      ...release,
    });
    const fileName = batchFileName(s.config.networkId, s.config.peerNetworkId, sequence, built.manifest.batch_id);
    // The file first: the listing (the database) only shows it once both exist.
    await s.batches.put("outbox", fileName, built.file);

    const outboxSeqs = group.filter((o) => o.src === "outbox").map((o) => o.seq);
    const auditSeqs = group.filter((o) => o.src === "audit").map((o) => o.seq);
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
    for (const k of RECORD_KINDS) {
      const ids = k.afterExport ? group.filter((r) => r.kind === k.kind).map((r) => r.id) : [];
      if (ids.length) statements.push(...k.afterExport!(s, ids, sequence));
    }
    try {
      await writeWithAudit(
        s,
        [
          {
            actorType: "system",
            action: "transfer.export",
            targetType: "batch",
            targetId: built.manifest.batch_id,
            details: { sequence, records: group.length, bytes: built.file.length, ack, counts: built.manifest.counts },
          },
        ],
        statements,
      );
    } catch (e) {
      // Either way this file is no one's: another exporter took the sequence, or the commit failed.
      await s.batches.delete("outbox", fileName).catch(() => {});
      if (isGuardFailure(e)) break;
      throw e;
    }
    s.logger.log("info", "batch exported", { sequence, records: group.length, bytes: built.file.length, ack });
    exported.push({ id: built.manifest.batch_id, sequence, records: group.length, bytes: built.file.length, file_name: fileName });
  }
  return { exported, resent };
}

/**
 * An empty batch is due when nothing has left for the heartbeat interval. It carries no records,
 * so the peer owes it no acknowledgement and does not answer it: heartbeats never echo.
 */
async function heartbeatDue(s: Services, lastSentAt: string | undefined, idleSince: string | undefined) {
  const every = s.config.transfer.heartbeatMs;
  if (!every) return false;
  const now = s.clock.now();
  const from = lastSentAt ?? idleSince;
  if (!from) {
    // Never sent anything: count from now, not from the epoch, so a new network does not beat at once.
    await setState(s, STATE.outIdleSince, now.toISOString());
    return false;
  }
  return now.getTime() - Date.parse(from) >= every;
}

/** Outgoing dead letters, and their outbox rows (or audit entries) taken out of the backlog, atomically. */
async function setAside(s: Services, rejected: Array<{ record: BatchRecord; reason: string; seq: number }>) {
  const outboxSeqs = rejected.filter((r) => r.record.kind !== "audit").map((r) => r.seq);
  const auditSeqs = rejected.filter((r) => r.record.kind === "audit").map((r) => r.seq);
  const statements = deadLetterStatements(s, "out", null, rejected);
  if (outboxSeqs.length)
    statements.push(
      s.db.orm
        .update(outbox)
        .set({ batchSequence: SET_ASIDE })
        .where(and(inArray(outbox.seq, outboxSeqs), isNull(outbox.batchSequence))),
    );
  // Unreachable for audit entries in practice (writeWithAudit sizes their details to fit a batch);
  // were one set aside, the peer would refuse the next entries' links until it is retried.
  if (auditSeqs.length) statements.push(setState(s, STATE.outAuditSeq, Math.max(...auditSeqs)));
  await writeWithAudit(
    s,
    [
      {
        actorType: "system",
        action: "transfer.set_aside",
        outcome: "failure",
        targetType: "outbox",
        targetId: null,
        details: { records: rejected.length, reasons: rejected.slice(0, 5).map((r) => r.reason) },
      },
    ],
    statements,
  );
  s.logger.log("warn", "records set aside at export", { records: rejected.length, first: rejected[0].reason });
}
