// How files reach judgement: an upload, or a file a courier or a diode left in the inbox area.
// Every file first gets one of our names and a receipt; a run never fails as a whole because
// of one file, and each step leaves a state the next run continues from.
import { eq, inArray } from "drizzle-orm";
import { batchesIn } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { decodeBatchFile, unverifiedManifestOf } from "./batch/index.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { newId } from "../lib/ids.ts";
import { bounded } from "../lib/text.ts";
import { writeWithAudit } from "../audit/audit.ts";
import { maxFileBytes, processHeld, processReceipt, quarantined, quarantineEntry, receiptFile, type ImportResult } from "./import.ts";

const RECEIPT_FILE = /^(rcv_[0-9A-Z]{26})\.batch$/;
/** A name a person or a diode may reasonably give a batch: printable, no path, not too long. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const FOREIGN_NAME_OK = /^[^\u0000-\u001f\u007f/\\]{1,200}$/;

/**
 * An upload that is not a batch at all is refused before anything is stored
 * (4xx); anything that looks like a batch is stored first, then judged, so
 * nothing a courier delivered is ever lost.
 */
export function precheck(s: Services, bytes: Uint8Array): void {
  if (bytes.length > maxFileBytes(s)) throw new ApiError("payload_too_large", { detail: `a batch file is at most ${maxFileBytes(s)} bytes` });
  const decoded = decodeBatchFile(bytes);
  if (!decoded.ok) throw new ApiError("not_a_batch", { detail: decoded.reason });
  // A sealed body (format 3) is ciphertext; the older formats' is gzip. Unverified here: the import judges the rest.
  const sealed = unverifiedManifestOf(decoded);
  if (sealed.ok && sealed.manifest.format === 3) {
    if (decoded.body.length === 0) throw new ApiError("not_a_batch", { detail: "the sealed body is empty" });
  } else if (decoded.body.length < 2 || decoded.body[0] !== 0x1f || decoded.body[1] !== 0x8b) throw new ApiError("not_a_batch", { detail: "the body is not gzip" });
}

/** The file first, then the receipt: a receipt never points at a file that is not there. */
export async function storeReceipt(s: Services, bytes: Uint8Array, source: string): Promise<string> {
  const receiptId = newId("rcv");
  await s.batches.put("inbox", receiptFile(receiptId), bytes);
  await s.db.orm.insert(batchesIn).values({
    id: receiptId,
    fileName: bounded(source, 200),
    fileSha256: await sha256Hex(bytes),
    bytes: bytes.length,
    outcome: "pending",
    receivedAt: s.clock.now().toISOString(),
  });
  return receiptId;
}

/** HTTP upload, holding the import lease: store, judge, then any held batches it unblocks. */
export async function receiveUpload(s: Services, bytes: Uint8Array, source: string): Promise<ImportResult> {
  precheck(s, bytes);
  const receiptId = await storeReceipt(s, bytes, source);
  const result = await processReceipt(s, receiptId, bytes);
  if (result.outcome === "applied") await processHeld(s);
  return result;
}

/** HTTP upload while another import holds the lease: stored, judged by the next run. */
export async function queueUpload(s: Services, bytes: Uint8Array, source: string): Promise<ImportResult> {
  precheck(s, bytes);
  const receiptId = await storeReceipt(s, bytes, source);
  return { receipt_id: receiptId, id: receiptId, sequence: null, outcome: "queued", reason: "an import was running; this file is stored and will be judged by the next run" };
}

async function setAside(s: Services, receiptId: string, fileName: string, size: number, reason: string): Promise<ImportResult> {
  const receipt = { id: receiptId, fileName, fileSha256: "", bytes: size, outcome: "quarantined" as const, reason, receivedAt: s.clock.now().toISOString() };
  await writeWithAudit(s, [quarantineEntry(receiptId, reason)], [s.db.orm.insert(batchesIn).values(receipt).onConflictDoNothing()]);
  s.logger.log("warn", "batch set aside", { receipt: receiptId, reason });
  return quarantined(receiptId, reason);
}

/** A receipt for a file not read yet: judging it reads it once and records its SHA-256. */
const pendingReceipt = (s: Services, id: string, fileName: string, size: number) => ({
  id,
  fileName,
  fileSha256: "",
  bytes: size,
  outcome: "pending" as const,
  receivedAt: s.clock.now().toISOString(),
});

/** One file in the inbox area that we did not name, or a receipt file a crash left behind. */
async function takeFile(s: Services, f: { name: string; size: number }, known: Map<string, string>, results: ImportResult[]) {
  const ours = RECEIPT_FILE.exec(f.name)?.[1];
  if (ours) {
    const outcome = known.get(ours);
    if (outcome === "pending" || outcome === "held") return; // judged below
    if (outcome === "quarantined") {
      // Crashed between the quarantine copy and removing the inbox copy (or a retry between its steps).
      const bytes = await s.batches.get("inbox", f.name);
      if (bytes && !(await s.batches.get("quarantine", f.name))) await s.batches.put("quarantine", f.name, bytes);
      await s.batches.delete("inbox", f.name);
      return;
    }
    if (outcome) return s.batches.delete("inbox", f.name); // applied, replay, superseded: already done
    // Stored but the receipt was never written: a crash between the two steps.
    if (f.size > maxFileBytes(s)) {
      await s.batches.adopt("inbox", f.name, "quarantine", f.name);
      results.push(await setAside(s, ours, "(recovered)", f.size, `the file is ${f.size} bytes; the limit is ${maxFileBytes(s)}`));
      return;
    }
    await s.db.orm
      .insert(batchesIn)
      .values(pendingReceipt(s, ours, "(recovered)", f.size))
      .onConflictDoNothing();
    return;
  }
  const receiptId = newId("rcv");
  const shown = bounded(JSON.stringify(f.name).slice(1, -1), 200);
  const problem = !FOREIGN_NAME_OK.test(f.name)
    ? `the file name ${JSON.stringify(shown)} is not accepted`
    : f.size > maxFileBytes(s)
      ? `the file is ${f.size} bytes; the limit is ${maxFileBytes(s)}`
      : null;
  if (problem) {
    // Set aside unread, under our name: an admin can look at it and retry it like any receipt.
    await s.batches.adopt("inbox", f.name, "quarantine", receiptFile(receiptId));
    results.push(await setAside(s, receiptId, shown, f.size, problem));
    return;
  }
  // Renamed first, then the receipt: a crash in between leaves a receipt file, recovered above.
  await s.batches.adopt("inbox", f.name, "inbox", receiptFile(receiptId));
  await s.db.orm.insert(batchesIn).values(pendingReceipt(s, receiptId, shown, f.size));
}

async function outcomesOf(s: Services, names: string[]): Promise<Map<string, string>> {
  const ids = names.map((n) => RECEIPT_FILE.exec(n)?.[1]).filter((x): x is string => Boolean(x));
  const map = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await s.db.orm
      .select({ id: batchesIn.id, outcome: batchesIn.outcome })
      .from(batchesIn)
      .where(inArray(batchesIn.id, ids.slice(i, i + 500)))
      .all();
    for (const r of rows) map.set(r.id, r.outcome);
  }
  return map;
}

/** Quarantine copies a crash left behind: a receipt that is no longer quarantined, or none at all. */
async function sweepQuarantine(s: Services) {
  const files = await s.batches.list("quarantine");
  const known = await outcomesOf(
    s,
    files.map((f) => f.name),
  );
  for (const f of files) {
    const id = RECEIPT_FILE.exec(f.name)?.[1];
    if (!id) continue;
    const outcome = known.get(id);
    if (outcome === undefined) await setAside(s, id, "(recovered)", f.size, "recovered from the quarantine area after an interruption");
    else if (outcome === "applied" || outcome === "replay" || outcome === "superseded") await s.batches.delete("quarantine", f.name);
  }
}

/** Cron / POST /v1/transfer/import: every file in the inbox area, pending receipts, then held batches. */
export async function importInbox(s: Services): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  const files = await s.batches.list("inbox");
  const known = await outcomesOf(
    s,
    files.map((f) => f.name),
  );
  for (const f of files) {
    try {
      await takeFile(s, f, known, results);
    } catch (e) {
      s.logger.log("error", "inbox file skipped this run", { file: bounded(f.name, 200), error: e });
    }
  }
  await sweepQuarantine(s).catch((e: unknown) => s.logger.log("error", "quarantine sweep failed", { error: e }));
  const pending = await s.db.orm.select({ id: batchesIn.id }).from(batchesIn).where(eq(batchesIn.outcome, "pending")).orderBy(batchesIn.receivedAt).all();
  for (const p of pending) {
    try {
      results.push(await processReceipt(s, p.id));
    } catch (e) {
      s.logger.log("error", "receipt left pending for the next run", { receipt: p.id, error: e });
    }
  }
  results.push(...(await processHeld(s)));
  return results;
}
