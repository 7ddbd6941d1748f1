/**
 * The batch container: one self-contained file per batch.
 *
 *   AIRLOCK-BATCH/1\n          magic line (ASCII, 16 bytes); the digit is the container version
 *   <compact JWS>\n            the signed manifest: base64url(header).base64url(manifest JSON).base64url(sig)
 *   <gzip bytes…>              the body (JSONL records, gzip), up to the end of the file
 *
 * Why this shape:
 * - The first two lines are plain ASCII, so `head -2 FILE` shows the manifest to a courier and
 *   the file can be recognised (or refused) from its first bytes without reading the rest.
 * - A compact JWS never contains a newline, so the newline terminates it unambiguously; the
 *   body needs no length prefix because it runs to the end of the file and its exact length
 *   and SHA-256 are in the signed manifest (a truncated or padded file fails the checksum).
 * - The signature covers only the manifest ("detached" body): the body is bound by
 *   `body_sha256`, so the verifier can check the signature before touching the body at all.
 *
 * This module only splits and joins the container; it trusts nothing it reads.
 */

export const MAGIC = "AIRLOCK-BATCH/1\n";
const MAGIC_PREFIX = "AIRLOCK-BATCH/";
const MAGIC_BYTES = new TextEncoder().encode(MAGIC);
const NEWLINE = 0x0a;

/** A manifest is small; bounding its line keeps a garbage file from being scanned end to end. */
export const MAX_MANIFEST_LINE_BYTES = 64 * 1024;

/** Compact JWS alphabet; an empty signature segment is let through so jose refuses `alg: none` itself. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface BatchContainer {
  /** The compact JWS of the manifest (unverified at this point). */
  jws: string;
  /** The gzip body: a view into the file, not a copy. */
  body: Uint8Array;
}

export type ContainerError = { ok: false; code: "not_a_batch" | "bad_format_version"; reason: string };

/** Joins a signed manifest and a gzip body into the file bytes. */
export function encodeBatchFile(jws: string, body: Uint8Array): Uint8Array {
  if (!COMPACT_JWS.test(jws)) throw new Error("encodeBatchFile: not a compact JWS");
  const line = new TextEncoder().encode(`${jws}\n`);
  const out = new Uint8Array(MAGIC_BYTES.length + line.length + body.length);
  out.set(MAGIC_BYTES, 0);
  out.set(line, MAGIC_BYTES.length);
  out.set(body, MAGIC_BYTES.length + line.length);
  return out;
}

/** Splits a file into its JWS and body, checking only the structure. Never throws. */
export function decodeBatchFile(file: Uint8Array): ({ ok: true } & BatchContainer) | ContainerError {
  if (file.length === 0) return { ok: false, code: "not_a_batch", reason: "the file is empty" };
  if (!startsWith(file, MAGIC_BYTES)) {
    // Recognise a batch from a newer (or older) container version so the message says so.
    const head = ascii(file.subarray(0, 32));
    const other = head.startsWith(MAGIC_PREFIX) ? /^AIRLOCK-BATCH\/([^\n]{1,8})\n/.exec(head) : null;
    if (other) return { ok: false, code: "bad_format_version", reason: `container version ${JSON.stringify(other[1])} is not supported (expected 1)` };
    return { ok: false, code: "not_a_batch", reason: "the file does not start with the AIRLOCK-BATCH/1 magic line" };
  }
  const start = MAGIC_BYTES.length;
  const limit = Math.min(file.length, start + MAX_MANIFEST_LINE_BYTES + 1);
  let end = -1;
  for (let i = start; i < limit; i++) {
    if (file[i] === NEWLINE) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    const why = limit === file.length ? "the file ends inside the manifest line (truncated?)" : `the manifest line is longer than ${MAX_MANIFEST_LINE_BYTES} bytes`;
    return { ok: false, code: "not_a_batch", reason: why };
  }
  const jws = ascii(file.subarray(start, end));
  if (!COMPACT_JWS.test(jws)) return { ok: false, code: "not_a_batch", reason: "the manifest line is not a compact JWS" };
  return { ok: true, jws, body: file.subarray(end + 1) };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Decodes bytes as Latin-1 so any byte maps to one character; non-ASCII then fails the JWS regex. */
function ascii(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
