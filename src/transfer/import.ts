// Judging and applying one received batch file (a receipt). Files reach the inbox through
// src/transfer/inbox.ts; see docs/transfer.md "Import".
import { and, asc, eq, sql } from "drizzle-orm";
import { batchesIn } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { ApiError } from "../errors.ts";
import { isGuardFailure } from "../deps/db/guard.ts";
import { writeWithAudit, type AuditInput } from "../audit/audit.ts";
import { checkPeerChain, peerChainHead } from "../audit/kind.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { bounded, MAX_REASON } from "../lib/text.ts";
import { RECORD_KINDS } from "../record-kinds.ts";
import { verifyBatch, ZERO_HASH, type Manifest } from "./batch/index.ts";
import { openingKeysOf, peerKeysOf } from "./keys.ts";
import { STATE, num, readState } from "./state.ts";
import { judgeRecords, ownershipProblem } from "./judge.ts";
import { reportStatement } from "./dead-letters.ts";
import { applyBatch, supersedesOf } from "./apply-batch.ts";

export const RECEIPT_OUTCOMES = ["pending", "applied", "replay", "held", "quarantined", "superseded"] as const;
/** "queued": stored, judged by the next import run (an upload that arrived while one was running). */
export type Outcome = Exclude<(typeof RECEIPT_OUTCOMES)[number], "pending"> | "queued";
export interface ImportResult {
  receipt_id: string;
  /** The batch id (from the verified manifest), else the receipt id. */
  id: string;
  sequence: number | null;
  outcome: Outcome;
  reason?: string;
  /** Records set aside as dead letters (the rest was applied). */
  dead_letters?: number;
}

export const receiptFile = (receiptId: string) => `${receiptId}.batch`;

/** Compressed size allowed for one file: the raw limit plus room for the manifest. */
export const maxFileBytes = (s: Services) => s.config.transfer.maxRawBytes + 128 * 1024;

function limits(s: Services) {
  return { maxFileBytes: maxFileBytes(s), maxRawBytes: s.config.transfer.maxRawBytes, maxRecords: s.config.transfer.maxRecords };
}

/** The audit entry of a file quarantined before its manifest could be read. */
export const quarantineEntry = (receiptId: string, reason: string): AuditInput => ({
  actorType: "system",
  action: "transfer.import",
  outcome: "failure",
  targetType: "batch",
  targetId: receiptId,
  details: { receipt: receiptId, result: "quarantined", reason },
});

/** What the caller hears about such a file. */
export const quarantined = (receiptId: string, reason: string): ImportResult => ({ receipt_id: receiptId, id: receiptId, sequence: null, outcome: "quarantined", reason });

/** Applies held batches while the next expected one is among them (a superseding copy first). */
export async function processHeld(s: Services): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  for (;;) {
    const next = num((await readState(s))[STATE.inLastSequence]) + 1;
    const held = await s.db.orm
      .select({ id: batchesIn.id })
      .from(batchesIn)
      .where(and(eq(batchesIn.outcome, "held"), eq(batchesIn.sequence, next)))
      .orderBy(sql`${batchesIn.supersedes} IS NULL`, asc(batchesIn.receivedAt))
      .get();
    if (!held) return results;
    const r = await processReceipt(s, held.id);
    results.push(r);
    if (r.outcome !== "applied") return results;
  }
}

/**
 * Re-judges a quarantined (or held) receipt, e.g. after the peer's rotated key was configured.
 * Each step leaves a state the next try continues from: the copy back into the inbox first, then
 * the receipt, then the quarantine copy goes.
 */
export async function retryReceipt(s: Services, receiptId: string): Promise<ImportResult> {
  const row = await s.db.orm.select().from(batchesIn).where(eq(batchesIn.id, receiptId)).get();
  if (!row) throw new ApiError("not_found", { detail: `no received batch ${receiptId}` });
  if (row.outcome === "applied" || row.outcome === "replay" || row.outcome === "superseded")
    throw new ApiError("conflict", { detail: `receipt ${receiptId} was already ${row.outcome}` });
  if (row.outcome === "quarantined") {
    const bytes = (await s.batches.get("quarantine", receiptFile(receiptId))) ?? (await s.batches.get("inbox", receiptFile(receiptId)));
    if (!bytes) throw new ApiError("not_found", { detail: "the quarantined file is gone" });
    await s.batches.put("inbox", receiptFile(receiptId), bytes);
    await s.db.orm
      .update(batchesIn)
      .set({ outcome: "pending", attempts: row.attempts + 1 })
      .where(eq(batchesIn.id, receiptId));
    await s.batches.delete("quarantine", receiptFile(receiptId));
  }
  const result = await processReceipt(s, receiptId);
  if (result.outcome === "applied") await processHeld(s);
  return result;
}

/** The bytes being judged, and their SHA-256 when the receipt does not have it yet. */
interface ReceivedFile {
  bytes: Uint8Array;
  sha: string | null;
}

type Fields = { reason?: string; manifest?: Manifest; report?: boolean };

/** Any outcome but applied. A quarantined file is copied aside BEFORE the receipt says so. */
async function finish(s: Services, receiptId: string, outcome: "replay" | "held" | "quarantined" | "superseded", fields: Fields, file: ReceivedFile): Promise<ImportResult> {
  const m = fields.manifest;
  const reason = fields.reason === undefined ? undefined : bounded(fields.reason, MAX_REASON);
  const audit: AuditInput = {
    actorType: "system",
    action: "transfer.import",
    outcome: outcome === "quarantined" ? "failure" : "success",
    targetType: "batch",
    targetId: m?.batch_id ?? receiptId,
    details: { receipt: receiptId, result: outcome, sequence: m?.sequence ?? null, reason: reason ?? null },
  };
  if (outcome === "quarantined") await s.batches.put("quarantine", receiptFile(receiptId), file.bytes);
  const statements: Statement[] = [
    s.db.orm
      .update(batchesIn)
      .set({
        outcome,
        reason: reason ?? null,
        ...(file.sha ? { fileSha256: file.sha } : {}),
        batchId: m?.batch_id ?? null,
        sequence: m?.sequence ?? null,
        sourceNetwork: m?.source ?? null,
        records: m?.records ?? null,
        bodySha256: m?.body_sha256 ?? null,
        supersedes: m && supersedesOf(m).length ? JSON.stringify(supersedesOf(m)) : null,
      })
      .where(eq(batchesIn.id, receiptId)),
  ];
  // The sender's operator learns that its genuine batch was refused, and why.
  if (outcome === "quarantined" && m && fields.report)
    statements.push(reportStatement(s, { type: "quarantined", sequence: m.sequence, record_kind: null, record_id: null, record_version: null, reason: reason ?? "quarantined" }));
  await writeWithAudit(s, [audit], statements);
  if (outcome !== "held") await s.batches.delete("inbox", receiptFile(receiptId));
  s.logger.log(outcome === "quarantined" ? "warn" : "info", "batch import", { receipt: receiptId, outcome, sequence: m?.sequence, reason });
  return { receipt_id: receiptId, id: m?.batch_id ?? receiptId, sequence: m?.sequence ?? null, outcome, ...(reason ? { reason } : {}) };
}

/** Verifies one stored receipt completely before touching any data, then applies it atomically or reports why not. */
export async function processReceipt(s: Services, receiptId: string, stored?: Uint8Array): Promise<ImportResult> {
  // The caller that just stored the file hands its bytes over instead of reading them back.
  const bytes = stored ?? (await s.batches.get("inbox", receiptFile(receiptId)));
  if (!bytes) {
    const row = await s.db.orm.select().from(batchesIn).where(eq(batchesIn.id, receiptId)).get();
    if (row && row.outcome !== "pending" && row.outcome !== "held")
      return { receipt_id: receiptId, id: row.batchId ?? receiptId, sequence: row.sequence, outcome: row.outcome, ...(row.reason ? { reason: row.reason } : {}) };
    const reason = "the file of this receipt is missing from the inbox";
    await writeWithAudit(s, [quarantineEntry(receiptId, reason)], [s.db.orm.update(batchesIn).set({ outcome: "quarantined", reason }).where(eq(batchesIn.id, receiptId))]);
    return quarantined(receiptId, reason);
  }
  // An upload's receipt has its SHA-256 already; a file found in the inbox area gets it now.
  const file: ReceivedFile = { bytes, sha: stored ? null : await sha256Hex(bytes) };
  const v = await verifyBatch(bytes, {
    expectedDestination: s.config.networkId,
    peerKeys: await peerKeysOf(s),
    openingKeys: await openingKeysOf(s),
    now: s.clock.now(),
    limits: limits(s),
    gzip: s.runtime.gzip,
  });
  if (!v.ok) return finish(s, receiptId, "quarantined", { reason: `${v.code}: ${v.reason}` }, file);
  const m = v.manifest;
  if (m.source !== s.config.peerNetworkId) return finish(s, receiptId, "quarantined", { reason: `sent by ${m.source}, not the peer ${s.config.peerNetworkId}`, manifest: m }, file);
  const state = await readState(s);
  const last = num(state[STATE.inLastSequence]);
  // Nothing of an already applied sequence is ever applied again, so that is judged first.
  if (m.sequence <= last) return judgeOld(s, receiptId, m, file);
  const sender = s.config.role === "response" ? "request" : "response";
  const owned = ownershipProblem(v.records, sender);
  if (owned) return finish(s, receiptId, "quarantined", { reason: owned, manifest: m, report: true }, file);
  if (m.sequence > last + 1) {
    const gap = m.sequence - 1 === last + 1 ? `${last + 1}` : `${last + 1}–${m.sequence - 1}`;
    return finish(s, receiptId, "held", { reason: `waiting for sequence ${gap}`, manifest: m }, file);
  }
  const expectedPrev = last === 0 ? ZERO_HASH : (state[STATE.inLastBodySha] ?? "");
  const aliases = JSON.parse(state[STATE.inLastSuperseded] ?? "[]") as string[];
  if (m.prev_hash !== expectedPrev && !aliases.includes(m.prev_hash))
    return finish(s, receiptId, "quarantined", { reason: `prev_hash does not match batch ${last}`, manifest: m, report: true }, file);

  const judged = judgeRecords(v.records);
  // The chain covers every audit entry that arrived, including those set aside for their content.
  const audits = v.records.filter((r) => r.kind === "audit").map((r) => r.data);
  let chain: { seq: number; hash: string } | null = null;
  if (audits.length) {
    const head = state[STATE.inPeerAuditHash] ? { seq: num(state[STATE.inPeerAuditSeq]), hash: state[STATE.inPeerAuditHash]! } : await peerChainHead(s);
    const checked = await checkPeerChain(s, head, audits);
    if (!checked.ok) return finish(s, receiptId, "quarantined", { reason: checked.reason, manifest: m, report: true }, file);
    chain = checked.head;
  }

  try {
    await applyBatch(s, receiptId, m, judged, last, chain, state[STATE.inIgnoredFields], file.sha);
  } catch (e) {
    // Another importer applied this sequence meanwhile: it is now a replay.
    if (isGuardFailure(e)) return processReceipt(s, receiptId, stored);
    throw e;
  }
  await s.batches.delete("inbox", receiptFile(receiptId));
  for (const k of RECORD_KINDS) {
    const rows = judged.accepted.filter((a) => a.kind === k).map((a) => a.value);
    if (rows.length && k.afterApply)
      await k.afterApply(s, rows).catch((e: unknown) => s.logger.log("error", "after-import hook failed", { error: e, sequence: m.sequence, kind: k.kind }));
  }
  s.logger.log("info", "batch import", { receipt: receiptId, outcome: "applied", sequence: m.sequence, records: m.records, dead_letters: judged.dead.length });
  return { receipt_id: receiptId, id: m.batch_id, sequence: m.sequence, outcome: "applied", ...(judged.dead.length ? { dead_letters: judged.dead.length } : {}) };
}

/** A sequence already applied: a replay, a superseded copy, or someone rewriting history. */
async function judgeOld(s: Services, receiptId: string, m: Manifest, file: ReceivedFile): Promise<ImportResult> {
  const applied = await s.db.orm
    .select({ body: batchesIn.bodySha256, id: batchesIn.id, supersedes: batchesIn.supersedes })
    .from(batchesIn)
    .where(and(eq(batchesIn.sequence, m.sequence), eq(batchesIn.outcome, "applied")))
    .get();
  if (!applied || applied.body === m.body_sha256) {
    return finish(s, receiptId, "replay", { reason: `sequence ${m.sequence} was already applied${applied ? ` (receipt ${applied.id})` : ""}`, manifest: m }, file);
  }
  if ((JSON.parse(applied.supersedes ?? "[]") as string[]).includes(m.body_sha256)) {
    return finish(s, receiptId, "superseded", { reason: `sequence ${m.sequence} was superseded by the batch applied in receipt ${applied.id}`, manifest: m }, file);
  }
  if (supersedesOf(m).includes(applied.body ?? "")) {
    return finish(s, receiptId, "replay", { reason: `sequence ${m.sequence} was already applied (receipt ${applied.id}); it can no longer be superseded`, manifest: m }, file);
  }
  return finish(s, receiptId, "quarantined", { reason: `sequence ${m.sequence} was already applied with different content (receipt ${applied.id})`, manifest: m }, file);
}
