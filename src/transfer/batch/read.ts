/**
 * Reading and verifying batch files. Order matters: cheap structural checks first, then the
 * signature BEFORE anything in the manifest is believed, then the manifest's claims (format,
 * destination, expiry, declared sizes), then the body's size and SHA-256 (the envelope, which a
 * courier can check with the public key alone), then opening a sealed body, a capped streaming
 * inflate, and each record line (the contents). Nothing here throws on bad input.
 */
import { base64url, compactVerify, decodeProtectedHeader, errors as joseErrors, type JWSHeaderParameters } from "jose";
import { decodeBatchFile, type BatchContainer } from "./format.ts";
import { streamsGzip, type GzipCodec } from "./gzip.ts";
import { sha256Hex } from "./hash.ts";
import { SIGNING_ALG, type PeerKeySet } from "./keys.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import { parseManifest, READABLE_FORMATS, type BatchRecord, type Manifest, type SignedManifest } from "./manifest.ts";
import { openBody, sealAad } from "./seal.ts";
import { parseRecords } from "./records.ts";
import { bounded } from "../../lib/text.ts";

export interface VerifyLimits {
  /** Whole file, checked before anything else. */
  maxFileBytes: number;
  /** Inflated JSONL; inflation is aborted as soon as the output passes it. */
  maxRawBytes: number;
  maxRecords: number;
}

/** Sized for a Worker's 128 MB isolate: the inflated body and its parsed records must fit. */
export const DEFAULT_LIMITS: VerifyLimits = { maxFileBytes: 16 * 1024 * 1024, maxRawBytes: 32 * 1024 * 1024, maxRecords: 50_000 };

export type VerifyFailureCode =
  | "not_a_batch"
  | "too_large"
  | "bad_signature"
  | "unknown_key"
  | "wrong_destination"
  | "expired"
  | "checksum_mismatch"
  | "bad_format_version"
  | "bad_record"
  | "decompression_failed"
  | "record_limit"
  | "unknown_encryption_key"
  | "decryption_failed";

export type VerifyFailure = { ok: false; code: VerifyFailureCode; reason: string };
export type VerifyResult = { ok: true; manifest: Manifest; records: BatchRecord[] } | VerifyFailure;

export interface VerifyOptions {
  /** This network's id. `null` skips the check: only for offline inspection by a courier. */
  expectedDestination: string | null;
  /** The peer's public keys by key id. */
  peerKeys: PeerKeySet;
  /** This network's private encryption keys by key id, to open a sealed (format 3) body. */
  openingKeys?: ReadonlyMap<string, CryptoKey>;
  /** Defaults to the current time. */
  now?: Date | number;
  limits?: Partial<VerifyLimits>;
  /** The runtime's gzip (RuntimeAdapter.gzip); Compression Streams by default. */
  gzip?: GzipCodec;
}

const fail = (code: VerifyFailureCode, reason: string): VerifyFailure => ({ ok: false, code, reason });

/** Thrown from the key lookup so an unknown `kid` is told apart from a bad signature. */
class UnknownKeyError extends Error {}

/** Verifies a batch file completely. Resolves to the manifest and records, or to a code and a reason. */
export async function verifyBatch(file: Uint8Array, options: VerifyOptions): Promise<VerifyResult> {
  try {
    return await verify(file, options);
  } catch (e) {
    // Defensive: every expected failure is handled below; this keeps the "never throws" promise.
    return fail("not_a_batch", `unexpected error while verifying: ${bounded(e instanceof Error ? e.message : String(e), 200)}`);
  }
}

async function verify(file: Uint8Array, options: VerifyOptions): Promise<VerifyResult> {
  const envelope = await verifyEnvelope(file, options);
  if (!envelope.ok) return envelope;
  return openContents(envelope.manifest, envelope.body, { ...DEFAULT_LIMITS, ...options.limits }, options.openingKeys, options.gzip);
}

export type EnvelopeResult = { ok: true; manifest: SignedManifest; body: Uint8Array } | VerifyFailure;

/**
 * Everything that can be checked without reading the body: the container, the signature, the
 * manifest, destination and expiry, and the body's size and SHA-256. Never throws.
 */
export async function verifyEnvelope(file: Uint8Array, options: Omit<VerifyOptions, "openingKeys">): Promise<EnvelopeResult> {
  try {
    return await envelopeOf(file, options);
  } catch (e) {
    return fail("not_a_batch", `unexpected error while verifying: ${bounded(e instanceof Error ? e.message : String(e), 200)}`);
  }
}

async function envelopeOf(file: Uint8Array, options: Omit<VerifyOptions, "openingKeys">): Promise<EnvelopeResult> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  // By tag, not instanceof: a Uint8Array from another realm (vm context, worker) is still bytes.
  if (Object.prototype.toString.call(file) !== "[object Uint8Array]") return fail("not_a_batch", "the input is not bytes");
  if (file.length > limits.maxFileBytes) return fail("too_large", `the file is ${file.length} bytes; the limit is ${limits.maxFileBytes}`);

  const container = decodeBatchFile(file);
  if (!container.ok) return container;

  // Signature first: until it checks out, the manifest is attacker-controlled text.
  let payload: Uint8Array;
  let header: JWSHeaderParameters;
  try {
    const verified = await compactVerify(
      container.jws,
      (h) => {
        const key = typeof h.kid === "string" ? options.peerKeys.get(h.kid) : undefined;
        if (!key)
          throw new UnknownKeyError(
            typeof h.kid === "string"
              ? `signed with key ${bounded(h.kid, 80)}, which is not among the peer's ${options.peerKeys.size} public key(s)`
              : "the signature names no key (no kid)",
          );
        return key;
      },
      { algorithms: [SIGNING_ALG] },
    );
    payload = verified.payload;
    header = verified.protectedHeader;
    // One encoding per signed manifest: a base64url part with stray padding bits is not ours.
    if (!container.jws.split(".").every((part) => base64url.encode(base64url.decode(part)) === part))
      return fail("bad_signature", "the signed manifest is not canonically encoded");
  } catch (e) {
    if (e instanceof UnknownKeyError) return fail("unknown_key", e.message);
    if (e instanceof joseErrors.JOSEAlgNotAllowed)
      return fail("bad_signature", `signature algorithm ${bounded(JSON.stringify(headerAlg(container.jws)) ?? "none", 40)} is not allowed (only ${SIGNING_ALG})`);
    if (e instanceof joseErrors.JWSSignatureVerificationFailed)
      return fail("bad_signature", "the manifest signature does not verify (altered manifest, or signed with another key)");
    return fail("bad_signature", `the signed manifest is malformed: ${bounded(e instanceof Error ? e.message : String(e), 200)}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    return fail("not_a_batch", "the signed manifest is not JSON");
  }
  // The version decides what every other field means, so it is read before any of them.
  const format = json !== null && typeof json === "object" ? (json as { format?: unknown }).format : undefined;
  if (typeof format !== "number" || !READABLE_FORMATS.includes(format)) {
    return fail("bad_format_version", `manifest format ${bounded(JSON.stringify(format) ?? "undefined", 40)} is not supported (this release reads ${READABLE_FORMATS.join(", ")})`);
  }
  const parsed = parseManifest(json);
  if (!parsed.success) return fail("not_a_batch", `the signed manifest is invalid: ${describeIssues(parsed.error)}`);
  const m = parsed.data;
  // The manifest names its key too; a mismatch with the header means a confused or tampered signer.
  if (m.key_id !== header.kid) return fail("bad_signature", `manifest key_id ${m.key_id} differs from the signing key ${bounded(String(header.kid), 80)}`);

  if (options.expectedDestination !== null && m.destination !== options.expectedDestination) {
    return fail("wrong_destination", `the batch is addressed to ${m.destination}, not to ${options.expectedDestination}`);
  }
  const now = options.now === undefined ? Date.now() : typeof options.now === "number" ? options.now : options.now.getTime();
  if (now >= Date.parse(m.expires_at)) return fail("expired", `the batch expired at ${m.expires_at}`);

  // Declared sizes (in the clear up to format 2): refuse before spending work on the body.
  if (m.format !== 3 && m.raw_bytes > limits.maxRawBytes) return fail("too_large", `the body inflates to ${m.raw_bytes} bytes (declared); the limit is ${limits.maxRawBytes}`);
  if (m.format !== 3 && m.records > limits.maxRecords) return fail("record_limit", `the batch has ${m.records} records (declared); the limit is ${limits.maxRecords}`);

  const body = container.body;
  if (body.length !== m.body_bytes) return fail("checksum_mismatch", `the body is ${body.length} bytes but the manifest says ${m.body_bytes} (truncated or padded file?)`);
  // Not a secret, so a plain comparison is fine.
  const actualSha = await sha256Hex(body);
  if (actualSha !== m.body_sha256) return fail("checksum_mismatch", `the body's SHA-256 is ${actualSha}, the manifest says ${m.body_sha256}`);
  return { ok: true, manifest: m, body };
}

/**
 * The records of a body whose envelope verified: a sealed body is opened with this network's keys
 * first. Even a signed body is inflated under the cap: the signer's word on sizes is not a memory guarantee.
 */
export async function openContents(
  m: SignedManifest,
  body: Uint8Array,
  limits: VerifyLimits,
  openingKeys?: ReadonlyMap<string, CryptoKey>,
  codec: GzipCodec = streamsGzip,
): Promise<VerifyResult> {
  let gzipped = body;
  if (m.format === 3) {
    const opened = await openBody(m.sealed, body, sealAad(m), openingKeys);
    if (!opened.ok) return opened;
    gzipped = opened.plaintext;
  }
  const inflated = await codec.gunzipCapped(gzipped, limits.maxRawBytes);
  if (!inflated.ok) return inflated;
  const parsedRecords = parseRecords(inflated.bytes, limits.maxRecords);
  if (!parsedRecords.ok) return parsedRecords;
  const { records, counts } = parsedRecords;
  if (m.format === 3) return { ok: true, manifest: { ...m, counts, records: records.length, raw_bytes: inflated.bytes.length }, records };

  if (inflated.bytes.length !== m.raw_bytes) return fail("checksum_mismatch", `the body inflates to ${inflated.bytes.length} bytes but the manifest says ${m.raw_bytes}`);
  if (records.length !== m.records || !sameCounts(counts, m.counts)) {
    return fail("bad_record", `the body's records ${bounded(JSON.stringify(counts), 300)} do not match the manifest's counts ${bounded(JSON.stringify(m.counts), 300)}`);
  }
  return { ok: true, manifest: m, records };
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function headerAlg(jws: string): unknown {
  try {
    return decodeProtectedHeader(jws).alg;
  } catch {
    return undefined;
  }
}

export type UnverifiedManifest =
  | { ok: true; verified: false; header: JWSHeaderParameters; manifest: Record<string, unknown> }
  | { ok: false; code: "not_a_batch" | "bad_format_version"; reason: string };

/**
 * The manifest as written in the file, WITHOUT checking the signature or anything else: for
 * display only (a courier listing files). Never base a decision on it; use verifyBatch.
 */
export function readManifestUnverified(file: Uint8Array): UnverifiedManifest {
  const container = decodeBatchFile(file);
  return container.ok ? unverifiedManifestOf(container) : container;
}

/** The same, for a file already split into its container (so it is not scanned twice). */
export function unverifiedManifestOf(container: BatchContainer): UnverifiedManifest {
  try {
    const header = decodeProtectedHeader(container.jws) as JWSHeaderParameters;
    const payload = container.jws.split(".")[1];
    const manifest: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) return { ok: false, code: "not_a_batch", reason: "the manifest is not a JSON object" };
    return { ok: true, verified: false, header, manifest: manifest as Record<string, unknown> };
  } catch {
    return { ok: false, code: "not_a_batch", reason: "the manifest line cannot be decoded" };
  }
}

/**
 * The manifest and records of a file this network wrote itself (its own outbox), without checking
 * the signature: to resend or supersede it. A sealed body is opened with the sender's own keys
 * (it is sealed to them too). Never for a file that came from outside.
 */
export async function readOwnBatch(
  file: Uint8Array,
  limits: VerifyLimits = DEFAULT_LIMITS,
  ownKeys?: ReadonlyMap<string, CryptoKey>,
): Promise<{ ok: true; manifest: Record<string, unknown>; records: BatchRecord[] } | VerifyFailure> {
  const container = decodeBatchFile(file);
  if (!container.ok) return container;
  const m = unverifiedManifestOf(container);
  if (!m.ok) return m;
  let gzipped = container.body;
  if (m.manifest.format === 3) {
    const parsed = parseManifest(m.manifest);
    if (!parsed.success || parsed.data.format !== 3) return fail("not_a_batch", "our own sealed manifest does not parse");
    const opened = await openBody(parsed.data.sealed, container.body, sealAad(parsed.data), ownKeys);
    if (!opened.ok) return opened;
    gzipped = opened.plaintext;
  }
  const inflated = await streamsGzip.gunzipCapped(gzipped, limits.maxRawBytes);
  if (!inflated.ok) return inflated;
  const parsed = parseRecords(inflated.bytes, limits.maxRecords);
  return parsed.ok ? { ok: true, manifest: m.manifest, records: parsed.records } : parsed;
}
