/**
 * The offline `verify FILE…` of the courier CLI: verifies batch files as an import would
 * (signature, destination, expiry, checksum) without any database, and renders one line per file.
 * A sealed body (format 3) is checked by its signed SHA-256 only: a courier holds the sender's
 * public key, not the destination's private key, so it cannot read what it carries. Older formats
 * are in the clear and their records are checked too. Runtime-neutral: the caller supplies file reading.
 */
import type { PeerKeySet } from "./keys.ts";
import type { SignedManifest } from "./manifest.ts";
import { DEFAULT_LIMITS, openContents, verifyEnvelope, type VerifyFailureCode, type VerifyLimits } from "./read.ts";

/** Reads a file; returns only its size when it is bigger than `maxBytes` so a huge file is never loaded. */
export type ReadFileFn = (path: string, maxBytes: number) => Promise<Uint8Array | { size: number }>;

export interface VerifyFilesOptions {
  readFile: ReadFileFn;
  peerKeys: PeerKeySet;
  /** Check the batches are addressed to this network; null/undefined accepts any destination. */
  destination?: string | null;
  now?: Date | number;
  limits?: Partial<VerifyLimits>;
}

export type FileVerdict =
  /** `records` is null for a sealed body (not readable here). */
  | { file: string; ok: true; line: string; manifest: SignedManifest; records: number | null; sealed: boolean }
  | { file: string; ok: false; line: string; code: VerifyFailureCode | "unreadable"; reason: string };

/** Verifies each file in turn; `ok` is true only if every file verified. */
export async function verifyFiles(files: readonly string[], options: VerifyFilesOptions): Promise<{ ok: boolean; results: FileVerdict[] }> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const results: FileVerdict[] = [];
  for (const file of files) results.push(await verifyOne(file, options, limits));
  return { ok: results.length > 0 && results.every((r) => r.ok), results };
}

async function verifyOne(file: string, options: VerifyFilesOptions, limits: VerifyLimits): Promise<FileVerdict> {
  const failed = (code: VerifyFailureCode | "unreadable", reason: string): FileVerdict => ({ file, ok: false, code, reason, line: `FAIL ${file}: ${reason} (${code})` });
  let bytes: Uint8Array | { size: number };
  try {
    bytes = await options.readFile(file, limits.maxFileBytes);
  } catch (e) {
    return failed("unreadable", `cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!ArrayBuffer.isView(bytes)) return failed("too_large", `the file is ${bytes.size} bytes; the limit is ${limits.maxFileBytes}`);
  const envelope = await verifyEnvelope(bytes, { expectedDestination: options.destination ?? null, peerKeys: options.peerKeys, now: options.now, limits });
  if (!envelope.ok) return failed(envelope.code, envelope.reason);
  const m = envelope.manifest;
  if (m.format === 3)
    return {
      file,
      ok: true,
      manifest: m,
      records: null,
      sealed: true,
      line: `OK ${m.batch_id} seq=${m.sequence} sealed to ${m.destination} (${m.body_bytes} bytes, contents not readable here)`,
    };
  const contents = await openContents(m, envelope.body, limits);
  if (!contents.ok) return failed(contents.code, contents.reason);
  return { file, ok: true, manifest: m, records: contents.records.length, sealed: false, line: `OK ${m.batch_id} seq=${m.sequence} records=${contents.records.length}` };
}
