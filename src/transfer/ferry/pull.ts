// pull: a network's outbox → a folder (only verified bytes are written, atomically).
import { readManifestUnverified } from "../batch/read.ts";
import { errorInfo, FerryError, throwIfAborted } from "./errors.ts";
import { isSafeBatchFileName, type BatchFolder } from "./folder.ts";
import type { CommonOptions, PullFileResult, PullStatus, PullSummary } from "./summary.ts";
import { fileSha256, type OutboxItem } from "./wire.ts";
import type { TransferClient } from "./client.ts";

export interface PullOptions extends CommonOptions {
  source: TransferClient;
  folder: BatchFolder;
  /** Also fetch batches the other side already acknowledged. */
  includeAcknowledged?: boolean;
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
    onEvent?.({
      type: "file",
      phase: "pull",
      index: i + 1,
      total: items.length,
      name: result.name,
      bytes: result.bytes,
      sequence: result.sequence,
      status: result.status,
      reason: result.error?.message ?? result.note,
    });
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
