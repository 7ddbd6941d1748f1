// push: a folder → a network's inbox, in sequence order; a local file is deleted only after the
// destination answered applied or replay (--remove-after).
import { readManifestUnverified } from "../batch/read.ts";
import { errorInfo, FerryError, throwIfAborted } from "./errors.ts";
import type { BatchFolder } from "./folder.ts";
import type { CommonOptions, PushFileResult, PushStatus, PushSummary } from "./summary.ts";
import { fileSha256 } from "./wire.ts";
import type { TransferClient } from "./client.ts";

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

interface Planned {
  name: string;
  size: number;
  sequence: number;
  sha256: string;
}

/** A file that failed before it could be sent. */
function notSent(e: { name: string; size: number }, error: PushFileResult["error"]): PushFileResult {
  return { name: e.name, sequence: null, bytes: e.size, sha256: null, status: "failed", removed: false, error };
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
      files.push(notSent(e, { kind: "integrity", code: "too_large", message: `the file is ${e.size} bytes, over the ${destination.maxFileBytes}-byte batch limit` }));
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await folder.read(e.name);
    } catch (err) {
      files.push(notSent(e, { kind: "protocol", code: "unreadable", message: `cannot read the file: ${err instanceof Error ? err.message : String(err)}` }));
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
    onEvent?.({
      type: "file",
      phase: "push",
      index: i + 1,
      total: planned.length,
      name: p.name,
      bytes: p.size,
      sequence: p.sequence,
      status: result.status,
      reason: result.error?.message ?? result.reason,
      removed: result.removed,
    });
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
      return {
        ...base,
        status: "failed",
        error: {
          kind: "protocol",
          code: "sequence_mismatch",
          message: `the destination answered ${answer.outcome} for sequence ${answer.sequence}, but the file is sequence ${p.sequence}`,
        },
      };
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
