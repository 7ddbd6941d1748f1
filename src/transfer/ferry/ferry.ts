/**
 * The courier's operations, shared by the CLI (scripts/ferry.ts) and `npm start`'s automatic
 * local ferry (auto.ts). Runtime-neutral: HTTP through TransferClient, files through BatchFolder.
 *
 *   pull   a network's outbox → a folder     (only verified bytes are written, atomically)
 *   push   a folder → a network's inbox      (in sequence order; a local file is deleted only
 *                                             after the destination answered applied/replay)
 *   carry  pull, then push what the source listed; nothing is ever deleted at the source: it keeps
 *          its batches until the other side acknowledges them inside its own batches.
 *
 * Each resolves with a structured summary; a failure of one file is recorded in the summary and
 * the others go on. Only a failure that stops the whole operation (the listing cannot be read,
 * the folder cannot be listed, cancellation) rejects, with a FerryError.
 */
import { readManifestUnverified } from "../batch/read.ts";
import { errorInfo, FerryError, fileSha256, type FerryErrorInfo, type InboxOutcome, type OutboxItem, type TransferClient } from "./client.ts";
import { isSafeBatchFileName, type BatchFolder } from "./folder.ts";

export type FerryPhase = "pull" | "push";

export type FerryEvent =
  | { type: "listed"; phase: FerryPhase; files: number; bytes: number }
  | { type: "file"; phase: FerryPhase; index: number; total: number; name: string; bytes: number; status: PullStatus | PushStatus; sequence: number | null; reason?: string; removed?: boolean }
  | { type: "warning"; message: string };

export type PullStatus = "downloaded" | "skipped" | "failed";

export interface PullFileResult {
  id: string;
  name: string;
  sequence: number;
  bytes: number;
  sha256: string;
  status: PullStatus;
  /** Why a file was skipped ("already present") or replaced. */
  note?: string;
  error?: FerryErrorInfo;
}

export interface PullSummary {
  command: "pull";
  source: string;
  folder: string;
  listed: number;
  /** Downloaded and written. */
  pulled: number;
  /** Already in the folder with the same name and SHA-256. */
  skipped: number;
  failed: number;
  /** Bytes downloaded. */
  bytes: number;
  files: PullFileResult[];
  ok: boolean;
}

export type PushStatus = InboxOutcome | "failed" | "skipped";

export interface PushFileResult {
  name: string;
  /** From the file's (unverified) manifest; null for a file that is not a batch. */
  sequence: number | null;
  bytes: number;
  sha256: string | null;
  status: PushStatus;
  /** The destination's reason (held, quarantined), or why a file was skipped. */
  reason?: string;
  /** Deleted locally after the destination confirmed it (--remove-after). */
  removed: boolean;
  error?: FerryErrorInfo;
}

export interface PushSummary {
  command: "push";
  destination: string;
  folder: string;
  /** Files the destination answered for. */
  pushed: number;
  applied: number;
  replay: number;
  held: number;
  quarantined: number;
  /** Not uploaded or no valid answer: network/HTTP error, too large, changed meanwhile. */
  failed: number;
  /** Not batch files, or already delivered (carry's `delivered` set). */
  skipped: number;
  removed: number;
  /** Bytes uploaded and answered for. */
  bytes: number;
  files: PushFileResult[];
  /** False when any file failed or was quarantined. Held is not a failure: the destination keeps it until the gap fills. */
  ok: boolean;
}

export interface CarrySummary {
  command: "carry";
  source: string;
  destination: string;
  pull: PullSummary;
  push: PushSummary;
  /** Files removed from the folder because the source no longer lists them (prune). */
  pruned: number;
  ok: boolean;
}

export interface CommonOptions {
  onEvent?: (event: FerryEvent) => void;
  signal?: AbortSignal;
}

export interface PullOptions extends CommonOptions {
  source: TransferClient;
  folder: BatchFolder;
  /** Also fetch batches the other side already acknowledged. */
  includeAcknowledged?: boolean;
}

export interface PushOptions extends CommonOptions {
  destination: TransferClient;
  folder: BatchFolder;
  /** Delete a local file once the destination answered applied or replay (never otherwise). */
  removeAfter?: boolean;
  /** Only these file names (carry: what the source listed). */
  only?: ReadonlySet<string>;
  /** Files whose SHA-256 the destination already has (see CarryOptions.delivered): not uploaded again. */
  delivered?: ReadonlySet<string>;
}

export interface CarryOptions extends CommonOptions {
  source: TransferClient;
  destination: TransferClient;
  /** The transfer folder (a temporary one in the CLI unless --via). */
  folder: BatchFolder;
  includeAcknowledged?: boolean;
  /**
   * For a long-running ferry: SHA-256s the destination already has, i.e. answered applied, replay,
   * held or quarantined for. They are not uploaded again: a held batch is applied by the
   * destination itself once the gap fills, a quarantined one is retried there
   * (POST /v1/transfer/batches/:id/retry) once its cause is fixed; another upload would only add a
   * receipt. This round's answers are added; entries the source no longer lists are dropped.
   */
  delivered?: Set<string>;
  /**
   * Remove folder files the source no longer lists (it saw them acknowledged, so the destination
   * has them). Only for a folder the ferry owns, never a courier's own folder.
   */
  prune?: boolean;
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new FerryError("aborted", "cancelled");
}

/** Downloads the source's outbox into the folder. Existing identical files (same name and SHA-256) are kept, not downloaded again. */
export async function pull(options: PullOptions): Promise<PullSummary> {
  const { source, folder, onEvent, signal } = options;
  throwIfAborted(signal);
  const items = await source.listOutbox({ includeAcknowledged: options.includeAcknowledged });
  const existing = new Map((await folder.list()).map((e) => [e.name, e.size]));
  onEvent?.({ type: "listed", phase: "pull", files: items.length, bytes: items.reduce((n, i) => n + i.bytes, 0) });

  const files: PullFileResult[] = [];
  const names = new Set<string>();
  for (const [i, item] of items.entries()) {
    throwIfAborted(signal);
    const result = await pullOne(item, source, folder, existing, names);
    names.add(item.file_name);
    files.push(result);
    onEvent?.({ type: "file", phase: "pull", index: i + 1, total: items.length, name: result.name, bytes: result.bytes, sequence: result.sequence, status: result.status, reason: result.error?.message ?? result.note });
  }
  const count = (s: PullStatus) => files.filter((f) => f.status === s).length;
  const failed = count("failed");
  return {
    command: "pull",
    source: source.baseUrl,
    folder: folder.label ?? "",
    listed: items.length,
    pulled: count("downloaded"),
    skipped: count("skipped"),
    failed,
    bytes: files.filter((f) => f.status === "downloaded").reduce((n, f) => n + f.bytes, 0),
    files,
    ok: failed === 0,
  };
}

async function pullOne(item: OutboxItem, source: TransferClient, folder: BatchFolder, existing: Map<string, number>, names: Set<string>): Promise<PullFileResult> {
  const base = { id: item.id, name: item.file_name, sequence: item.sequence, bytes: item.bytes, sha256: item.sha256 };
  const failed = (code: string, message: string): PullFileResult => ({ ...base, status: "failed", error: { kind: "integrity", code, message } });
  // The listing is the server's word: a name that could leave the folder is refused outright.
  if (!isSafeBatchFileName(item.file_name)) return failed("unsafe_name", `refused file name ${JSON.stringify(item.file_name)} (only letters, digits, . _ - allowed)`);
  if (names.has(item.file_name)) return failed("duplicate_name", `the listing names ${item.file_name} twice`);

  let note: string | undefined;
  if (existing.has(item.file_name)) {
    try {
      const local = existing.get(item.file_name) === item.bytes ? await folder.read(item.file_name) : null;
      if (local && (await fileSha256(local)) === item.sha256) return { ...base, status: "skipped", note: "already present" };
      note = "replaced a different local file of the same name";
    } catch (e) {
      note = `replaced an unreadable local file (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  try {
    const bytes = await source.download(item);
    // The bytes match the listing; also make sure they are the batch the listing describes.
    const m = readManifestUnverified(bytes);
    if (!m.ok) return failed("not_a_batch", `the download is not a batch file: ${m.reason}`);
    if (m.manifest.sequence !== item.sequence) return failed("sequence_mismatch", `the file's manifest says sequence ${String(m.manifest.sequence)}, the listing ${item.sequence}`);
    await folder.write(item.file_name, bytes);
    return { ...base, status: "downloaded", ...(note && { note }) };
  } catch (e) {
    if (e instanceof FerryError && e.kind === "aborted") throw e;
    return { ...base, status: "failed", error: errorInfo(e) };
  }
}

interface Planned {
  name: string;
  size: number;
  sequence: number;
  sha256: string;
}

/** Uploads the folder's batch files to the destination's inbox, in ascending sequence order. */
export async function push(options: PushOptions): Promise<PushSummary> {
  const { destination, folder, onEvent, signal } = options;
  throwIfAborted(signal);
  const entries = (await folder.list()).filter((e) => !options.only || options.only.has(e.name));
  const files: PushFileResult[] = [];
  const planned: Planned[] = [];

  // Pass 1: read each manifest for its sequence (and the file's hash); the bytes are not kept, so a large folder is never all in memory.
  for (const e of entries) {
    throwIfAborted(signal);
    if (e.size > destination.maxFileBytes) {
      files.push({ name: e.name, sequence: null, bytes: e.size, sha256: null, status: "failed", removed: false, error: { kind: "integrity", code: "too_large", message: `the file is ${e.size} bytes, over the ${destination.maxFileBytes}-byte batch limit` } });
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await folder.read(e.name);
    } catch (err) {
      files.push({ name: e.name, sequence: null, bytes: e.size, sha256: null, status: "failed", removed: false, error: { kind: "protocol", code: "unreadable", message: `cannot read the file: ${err instanceof Error ? err.message : String(err)}` } });
      continue;
    }
    const m = readManifestUnverified(bytes);
    const sequence = m.ok ? m.manifest.sequence : undefined;
    if (!m.ok || typeof sequence !== "number" || !Number.isSafeInteger(sequence) || sequence < 1) {
      const reason = `not a batch file (${m.ok ? "its manifest has no valid sequence" : m.reason}); skipped`;
      onEvent?.({ type: "warning", message: `${e.name}: ${reason}` });
      files.push({ name: e.name, sequence: null, bytes: bytes.length, sha256: null, status: "skipped", reason, removed: false });
      continue;
    }
    const sha256 = await fileSha256(bytes);
    if (options.delivered?.has(sha256)) {
      files.push({ name: e.name, sequence, bytes: bytes.length, sha256, status: "skipped", reason: "already delivered", removed: false });
      continue;
    }
    planned.push({ name: e.name, size: bytes.length, sequence, sha256 });
  }
  planned.sort((a, b) => a.sequence - b.sequence || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  onEvent?.({ type: "listed", phase: "push", files: planned.length, bytes: planned.reduce((n, p) => n + p.size, 0) });

  // Pass 2: upload in order.
  for (const [i, p] of planned.entries()) {
    throwIfAborted(signal);
    const result = await pushOne(p, destination, folder, options.removeAfter === true, onEvent);
    files.push(result);
    onEvent?.({ type: "file", phase: "push", index: i + 1, total: planned.length, name: p.name, bytes: p.size, sequence: p.sequence, status: result.status, reason: result.error?.message ?? result.reason, removed: result.removed });
  }

  const count = (s: PushStatus) => files.filter((f) => f.status === s).length;
  const answered = files.filter((f) => f.status === "applied" || f.status === "replay" || f.status === "held" || f.status === "quarantined");
  const failed = count("failed");
  const quarantined = count("quarantined");
  return {
    command: "push",
    destination: destination.baseUrl,
    folder: folder.label ?? "",
    pushed: answered.length,
    applied: count("applied"),
    replay: count("replay"),
    held: count("held"),
    quarantined,
    failed,
    skipped: count("skipped"),
    removed: files.filter((f) => f.removed).length,
    bytes: answered.reduce((n, f) => n + f.bytes, 0),
    files,
    ok: failed === 0 && quarantined === 0,
  };
}

async function pushOne(p: Planned, destination: TransferClient, folder: BatchFolder, removeAfter: boolean, onEvent: PushOptions["onEvent"]): Promise<PushFileResult> {
  const base = { name: p.name, sequence: p.sequence, bytes: p.size, sha256: p.sha256, removed: false };
  try {
    const bytes = await folder.read(p.name);
    if ((await fileSha256(bytes)) !== p.sha256) {
      return { ...base, status: "failed", error: { kind: "integrity", code: "changed", message: "the file changed while pushing; run push again" } };
    }
    const answer = await destination.upload(bytes, p.name);
    if (answer.sequence !== null && answer.sequence !== p.sequence) {
      return { ...base, status: "failed", error: { kind: "protocol", code: "sequence_mismatch", message: `the destination answered ${answer.outcome} for sequence ${answer.sequence}, but the file is sequence ${p.sequence}` } };
    }
    const result: PushFileResult = { ...base, status: answer.outcome, ...(answer.reason !== undefined && { reason: answer.reason }) };
    if (removeAfter && (answer.outcome === "applied" || answer.outcome === "replay")) {
      // Delete only the very bytes that were confirmed: a file replaced meanwhile is kept.
      const now = await folder.read(p.name).catch(() => null);
      if (now && (await fileSha256(now)) === p.sha256) {
        await folder.remove(p.name);
        result.removed = true;
      } else if (now) {
        onEvent?.({ type: "warning", message: `${p.name}: changed after the upload; not removed` });
      }
    }
    return result;
  } catch (e) {
    if (e instanceof FerryError && e.kind === "aborted") throw e;
    return { ...base, status: "failed", error: errorInfo(e) };
  }
}

/** Pull from the source, then push what the source lists to the destination. Never deletes anything at the source. */
export async function carry(options: CarryOptions): Promise<CarrySummary> {
  const { source, destination, folder, onEvent, signal, delivered } = options;
  const pulled = await pull({ source, folder, includeAcknowledged: options.includeAcknowledged, onEvent, signal });
  const listed = new Set(pulled.files.map((f) => f.name));
  // Only what is in the folder with the listed, verified bytes.
  const ready = new Set(pulled.files.filter((f) => f.status === "downloaded" || f.status === "skipped").map((f) => f.name));
  const pushed = await push({ destination, folder, only: ready, delivered, onEvent, signal });

  let pruned = 0;
  if (delivered) {
    const listedSha = new Set(pulled.files.map((f) => f.sha256));
    for (const sha of delivered) if (!listedSha.has(sha)) delivered.delete(sha);
    for (const f of pushed.files) if (f.status !== "failed" && f.status !== "skipped" && f.sha256) delivered.add(f.sha256);
  }
  if (options.prune) {
    for (const e of await folder.list()) {
      if (listed.has(e.name) || !isSafeBatchFileName(e.name)) continue;
      await folder.remove(e.name);
      pruned++;
    }
  }
  return { command: "carry", source: source.baseUrl, destination: destination.baseUrl, pull: pulled, push: pushed, pruned, ok: pulled.ok && pushed.ok };
}

/** 12.4 KB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The one-line summary the CLI prints on stdout. */
export function summaryLine(s: PullSummary | PushSummary | CarrySummary): string {
  if (s.command === "pull") return `pulled ${plural(s.pulled, "file")}, ${formatBytes(s.bytes)}; ${s.skipped} already present; ${s.failed} failed`;
  const outcomes = (p: PushSummary) => `${p.applied} applied, ${p.replay} replay, ${p.held} held, ${p.quarantined} quarantined`;
  if (s.command === "push") {
    return `pushed ${plural(s.pushed, "file")}, ${formatBytes(s.bytes)}: ${outcomes(s)}; ${s.failed} failed${s.skipped ? `; ${s.skipped} skipped` : ""}${s.removed ? `; ${s.removed} removed` : ""}`;
  }
  return `carried ${plural(s.push.pushed, "file")}, ${formatBytes(s.push.bytes)} (pulled ${s.pull.pulled}, ${s.pull.skipped} already present): ${outcomes(s.push)}; ${s.pull.failed + s.push.failed} failed`;
}
