import { and, asc, desc, eq, isNull, lte } from "drizzle-orm";
import { batchesIn, batchesOut, peerAuditLog } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { ApiError } from "../errors.ts";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import { writeWithAudit, entryHash, GENESIS_HASH, type AuditInput } from "../audit/audit.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { newId } from "../lib/ids.ts";
import { decodeBatchFile, verifyBatch, ZERO_HASH, type BatchRecord, type Manifest } from "./batch/index.ts";
import { peerKeysOf } from "./keys.ts";
import { STATE, num, readState, setState, stateIs } from "./state.ts";
import { checkRecords } from "./records.ts";
import { AFTER_APPLY, APPLIERS } from "./appliers.ts";

export type Outcome = "applied" | "replay" | "held" | "quarantined";
export interface ImportResult {
  receipt_id: string;
  /** The batch id (from the verified manifest), else the receipt id. */
  id: string;
  sequence: number | null;
  outcome: Outcome;
  reason?: string;
}

const receiptFile = (receiptId: string) => `${receiptId}.batch`;
const RECEIPT_FILE = /^rcv_[0-9A-Z]{26}\.batch$/;

/** Compressed size allowed for one file: the raw limit plus room for the manifest. */
export const maxFileBytes = (s: Services) => s.config.transfer.maxRawBytes + 128 * 1024;

function limits(s: Services) {
  return { maxFileBytes: maxFileBytes(s), maxRawBytes: s.config.transfer.maxRawBytes, maxRecords: s.config.transfer.maxRecords };
}

/**
 * An upload that is not a batch at all is refused before anything is stored
 * (4xx); anything that looks like a batch is stored first, then judged, so
 * nothing a courier delivered is ever lost.
 */
export function precheck(s: Services, bytes: Uint8Array): void {
  if (bytes.length > maxFileBytes(s)) throw new ApiError("payload_too_large", { detail: `a batch file is at most ${maxFileBytes(s)} bytes` });
  const decoded = decodeBatchFile(bytes);
  if (!decoded.ok) throw new ApiError("not_a_batch", { detail: decoded.reason });
  if (decoded.body.length < 2 || decoded.body[0] !== 0x1f || decoded.body[1] !== 0x8b) throw new ApiError("not_a_batch", { detail: "the body is not gzip" });
}

/** HTTP upload: store, record a receipt, process it and any held batches it unblocks. */
export async function receiveUpload(s: Services, bytes: Uint8Array, source: string): Promise<ImportResult> {
  precheck(s, bytes);
  const receiptId = await storeReceipt(s, bytes, source);
  const result = await processReceipt(s, receiptId, bytes);
  if (result.outcome === "applied") await processHeld(s);
  return result;
}

async function storeReceipt(s: Services, bytes: Uint8Array, source: string): Promise<string> {
  const receiptId = newId("rcv");
  await s.batches.put("inbox", receiptFile(receiptId), bytes);
  await s.db.orm.insert(batchesIn).values({
    id: receiptId,
    fileName: source.slice(0, 200),
    fileSha256: await sha256Hex(bytes),
    bytes: bytes.length,
    outcome: "pending",
    receivedAt: s.clock.now().toISOString(),
  });
  return receiptId;
}

/** Cron / POST /v1/transfer/import: files a courier (or a diode) put straight into the inbox area, then held batches. */
export async function importInbox(s: Services): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  for (const f of await s.batches.list("inbox")) {
    if (RECEIPT_FILE.test(f.name)) continue; // ours: pending or held, handled below
    const bytes = await s.batches.get("inbox", f.name);
    if (!bytes) continue;
    const receiptId = await storeReceipt(s, bytes, f.name);
    await s.batches.delete("inbox", f.name);
    results.push(await processReceipt(s, receiptId, bytes));
  }
  // Receipts left pending by a crash between storing and judging.
  const pending = await s.db.orm.select({ id: batchesIn.id }).from(batchesIn).where(eq(batchesIn.outcome, "pending")).orderBy(asc(batchesIn.receivedAt)).all();
  for (const p of pending) results.push(await processReceipt(s, p.id));
  results.push(...(await processHeld(s)));
  return results;
}

/** Applies held batches while the next expected one is among them. */
export async function processHeld(s: Services): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  for (;;) {
    const next = num((await readState(s))[STATE.inLastSequence]) + 1;
    const held = await s.db.orm
      .select({ id: batchesIn.id })
      .from(batchesIn)
      .where(and(eq(batchesIn.outcome, "held"), eq(batchesIn.sequence, next)))
      .orderBy(asc(batchesIn.receivedAt))
      .get();
    if (!held) return results;
    const r = await processReceipt(s, held.id);
    results.push(r);
    if (r.outcome !== "applied") return results;
  }
}

/** Re-judges a quarantined (or held) receipt, e.g. after the peer's rotated key was configured. */
export async function retryReceipt(s: Services, receiptId: string): Promise<ImportResult> {
  const row = await s.db.orm.select().from(batchesIn).where(eq(batchesIn.id, receiptId)).get();
  if (!row) throw new ApiError("not_found", { detail: `no received batch ${receiptId}` });
  if (row.outcome === "applied" || row.outcome === "replay") throw new ApiError("conflict", { detail: `receipt ${receiptId} was already ${row.outcome}` });
  if (row.outcome === "quarantined") {
    const bytes = await s.batches.get("quarantine", receiptFile(receiptId));
    if (!bytes) throw new ApiError("not_found", { detail: "the quarantined file is gone" });
    await s.batches.put("inbox", receiptFile(receiptId), bytes);
    await s.batches.delete("quarantine", receiptFile(receiptId));
  }
  await s.db.orm.update(batchesIn).set({ outcome: "pending", attempts: row.attempts + 1 }).where(eq(batchesIn.id, receiptId));
  const result = await processReceipt(s, receiptId);
  if (result.outcome === "applied") await processHeld(s);
  return result;
}

async function finish(s: Services, receiptId: string, outcome: Exclude<Outcome, "applied">, fields: { reason?: string; manifest?: Manifest }, keepFile: boolean) {
  const m = fields.manifest;
  const audit: AuditInput = {
    actorType: "system",
    action: "transfer.import",
    outcome: outcome === "replay" ? "success" : "failure",
    targetType: "batch",
    targetId: m?.batch_id ?? receiptId,
    details: { receipt: receiptId, result: outcome, sequence: m?.sequence ?? null, reason: fields.reason ?? null },
  };
  await writeWithAudit(s, [audit], [
    s.db.orm
      .update(batchesIn)
      .set({ outcome, reason: fields.reason ?? null, batchId: m?.batch_id ?? null, sequence: m?.sequence ?? null, sourceNetwork: m?.source ?? null, records: m?.records ?? null, bodySha256: m?.body_sha256 ?? null })
      .where(eq(batchesIn.id, receiptId)),
  ]);
  if (outcome === "quarantined") {
    const bytes = await s.batches.get("inbox", receiptFile(receiptId));
    if (bytes) await s.batches.put("quarantine", receiptFile(receiptId), bytes);
  }
  if (!keepFile) await s.batches.delete("inbox", receiptFile(receiptId));
  s.logger.log(outcome === "replay" ? "info" : "warn", "batch import", { receipt: receiptId, outcome, sequence: m?.sequence, reason: fields.reason });
  return { receipt_id: receiptId, id: m?.batch_id ?? receiptId, sequence: m?.sequence ?? null, outcome, ...(fields.reason ? { reason: fields.reason } : {}) } satisfies ImportResult;
}

/** Verifies one stored receipt completely before touching any data, then applies it atomically or reports why not. */
export async function processReceipt(s: Services, receiptId: string, stored?: Uint8Array): Promise<ImportResult> {
  // The caller that just stored the file hands its bytes over instead of reading them back.
  const bytes = stored ?? (await s.batches.get("inbox", receiptFile(receiptId)));
  if (!bytes) throw new ApiError("not_found", { detail: `the file of receipt ${receiptId} is not in the inbox` });
  const v = await verifyBatch(bytes, { expectedDestination: s.config.networkId, peerKeys: await peerKeysOf(s), now: s.clock.now(), limits: limits(s) });
  if (!v.ok) return finish(s, receiptId, "quarantined", { reason: `${v.code}: ${v.reason}` }, false);
  const m = v.manifest;
  if (m.source !== s.config.peerNetworkId) return finish(s, receiptId, "quarantined", { reason: `sent by ${m.source}, not the peer ${s.config.peerNetworkId}`, manifest: m }, false);
  const senderRole = s.config.role === "response" ? "request" : "response";
  const bad = checkRecords(v.records, senderRole);
  if (bad) return finish(s, receiptId, "quarantined", { reason: bad, manifest: m }, false);

  const state = await readState(s);
  const last = num(state[STATE.inLastSequence]);
  if (m.sequence <= last) {
    const applied = await s.db.orm
      .select({ body: batchesIn.bodySha256, id: batchesIn.id })
      .from(batchesIn)
      .where(and(eq(batchesIn.sequence, m.sequence), eq(batchesIn.outcome, "applied")))
      .get();
    // Same sequence, other content: someone holding the peer's key tries to rewrite history.
    if (applied && applied.body !== m.body_sha256) {
      return finish(s, receiptId, "quarantined", { reason: `sequence ${m.sequence} was already applied with different content (receipt ${applied.id})`, manifest: m }, false);
    }
    return finish(s, receiptId, "replay", { reason: `sequence ${m.sequence} was already applied${applied ? ` (receipt ${applied.id})` : ""}`, manifest: m }, false);
  }
  if (m.sequence > last + 1) {
    const gap = m.sequence - 1 === last + 1 ? `${last + 1}` : `${last + 1}–${m.sequence - 1}`;
    return finish(s, receiptId, "held", { reason: `waiting for sequence ${gap}`, manifest: m }, true);
  }
  const expectedPrev = last === 0 ? ZERO_HASH : (state[STATE.inLastBodySha] ?? "");
  if (m.prev_hash !== expectedPrev) return finish(s, receiptId, "quarantined", { reason: `prev_hash does not match batch ${last}`, manifest: m }, false);
  const auditProblem = await checkPeerAudit(s, v.records.filter((r) => r.kind === "audit"));
  if (auditProblem) return finish(s, receiptId, "quarantined", { reason: auditProblem, manifest: m }, false);

  try {
    await apply(s, receiptId, m, v.records, last);
  } catch (e) {
    // Another importer applied this sequence meanwhile: it is now a replay.
    if (isGuardFailure(e)) return processReceipt(s, receiptId);
    throw e;
  }
  await s.batches.delete("inbox", receiptFile(receiptId));
  for (const hook of AFTER_APPLY) {
    await hook(s, v.records).catch((e) => s.logger.log("error", "after-import hook failed", { error: e, sequence: m.sequence }));
  }
  s.logger.log("info", "batch import", { receipt: receiptId, outcome: "applied", sequence: m.sequence, records: m.records });
  return { receipt_id: receiptId, id: m.batch_id, sequence: m.sequence, outcome: "applied" };
}

/** The whole batch in one atomic db.batch, guarded so it applies exactly after `last`. */
async function apply(s: Services, receiptId: string, m: Manifest, records: BatchRecord[], last: number) {
  const now = s.clock.now().toISOString();
  const ctx = { batchSequence: m.sequence, receivedAt: now };
  const statements: Statement[] = [...guard(s.db, stateIs(STATE.inLastSequence, last))];
  for (const [kind, applier] of APPLIERS) {
    const rows = records.filter((r) => r.kind === kind).map((r) => r.data);
    if (rows.length) statements.push(...applier(s, rows, ctx));
  }
  statements.push(
    setState(s, STATE.inLastSequence, m.sequence),
    setState(s, STATE.inLastBodySha, m.body_sha256),
    setState(s, STATE.inLastImportAt, now),
    // The peer's ack marks our batches delivered.
    s.db.orm.update(batchesOut).set({ acknowledgedAt: now }).where(and(lte(batchesOut.sequence, m.ack), isNull(batchesOut.acknowledgedAt))),
    s.db.orm
      .update(batchesIn)
      .set({ outcome: "applied", reason: null, appliedAt: now, batchId: m.batch_id, sequence: m.sequence, sourceNetwork: m.source, records: m.records, bodySha256: m.body_sha256 })
      .where(eq(batchesIn.id, receiptId)),
  );
  if (m.records > 0) statements.push(setState(s, STATE.inLastWithRecords, m.sequence));
  await writeWithAudit(
    s,
    [{ actorType: "system", action: "transfer.import", targetType: "batch", targetId: m.batch_id, details: { receipt: receiptId, result: "applied", sequence: m.sequence, records: m.records, counts: m.counts, ack: m.ack } }],
    statements,
  );
}

/** The replica's audit entries must extend the chain already received, link by link. */
async function checkPeerAudit(s: Services, audits: BatchRecord[]): Promise<string | null> {
  if (!audits.length) return null;
  const last = await s.db.orm
    .select({ seq: peerAuditLog.seq, hash: peerAuditLog.hash })
    .from(peerAuditLog)
    .where(eq(peerAuditLog.network, s.config.peerNetworkId))
    .orderBy(desc(peerAuditLog.seq))
    .limit(1)
    .get();
  let expected = (last?.seq ?? 0) + 1;
  let prev = last?.hash ?? GENESIS_HASH;
  for (const r of [...audits].sort((a, b) => a.version - b.version)) {
    const { hash, ...rest } = r.data as Record<string, unknown> & { hash: string; seq: number; prevHash: string; network: string };
    if (rest.network !== s.config.peerNetworkId) return `audit entry ${rest.seq}: written by ${rest.network}, not the peer`;
    if (rest.seq !== expected) return `audit entry ${rest.seq}: expected entry ${expected} of the peer's chain`;
    if (rest.prevHash !== prev) return `audit entry ${rest.seq}: does not link to the previous entry`;
    if ((await entryHash(rest as never)) !== hash) return `audit entry ${rest.seq}: content does not match its hash`;
    prev = hash;
    expected++;
  }
  return null;
}

