/** Building batch files: records → JSONL → gzip → sealed to the destination → signed manifest → one file. */
import { CompactSign, type JWK } from "jose";
import { encodeBatchFile } from "./format.ts";
import { VERSION } from "../../version.ts";
import { streamsGzip, type GzipCodec } from "./gzip.ts";
import { sha256Hex } from "./hash.ts";
import { parseSigningKey, SIGNING_ALG } from "./keys.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import { FORMAT_VERSION, manifestV2Schema, manifestV3Schema, type BatchRecord, type Manifest, type SignedManifest } from "./manifest.ts";
import { sealAad, sealBody, type RecipientKey } from "./seal.ts";
import { describeRecord, encodeRecordLine, utf8Length } from "./records.ts";

/** The network's own signing key: its private JWK, or an already imported CryptoKey. */
export type SigningKeyInput = { keyId: string } & ({ privateJwk: JWK; key?: never } | { key: CryptoKey; privateJwk?: never });

export interface BuildBatchInput {
  /**
   * The records; only their kinds are read when `lines` is given. Without `lines` each is encoded
   * here (encodeRecordLine checks it is a full record envelope).
   */
  records: readonly BatchRecord[] | readonly { kind: string }[];
  /** The records' body lines, in order, when the caller has them already (takeGroup, takeLines). */
  lines?: readonly string[];
  source: string;
  destination: string;
  /** Per direction, from 1. */
  sequence: number;
  /** body_sha256 of the previous batch of this direction; ZERO_HASH for sequence 1. */
  prevHash: string;
  /** Last sequence imported from the other direction; 0 if none. */
  ack: number;
  createdAt?: Date;
  /** How long the batch stays importable. */
  ttlMs: number;
  signingKey: SigningKeyInput;
  /** Defaults to a random UUID. */
  batchId?: string;
  /** The sender's release (defaults to this one) and newest migration (format 2). */
  release?: string;
  schemaVersion?: string | null;
  /** Body hashes of the earlier versions of this sequence that this batch supersedes. */
  supersedes?: string[];
  /**
   * Seals the body to the destination (and to the sender, so it can read its own batch again):
   * format 3. Without it the batch is written in the clear as format 2, which only tests and the
   * fixtures of older formats do; the exporter always seals.
   */
  seal?: SealTo;
  /** The runtime's gzip (RuntimeAdapter.gzip); Compression Streams by default. */
  gzip?: GzipCodec;
}

export interface SealTo {
  /** The destination network's public encryption key. */
  recipient: RecipientKey;
  /** The sender's own current encryption key (its public half). */
  sender: RecipientKey;
}

export interface BuiltBatch {
  file: Uint8Array;
  /** The signed manifest, with what the body holds (counts, records, raw_bytes) also for a sealed one. */
  manifest: Manifest;
  /** SHA-256 hex of `file` (replay identity). The next batch's `prev_hash` is `manifest.body_sha256`. */
  fileSha256: string;
}

async function resolveKey(k: SigningKeyInput): Promise<CryptoKey> {
  if (k.key) return k.key;
  const { key, keyId } = await parseSigningKey(k.privateJwk);
  // A wrong keyId would make every batch fail as "unknown key" on the other side: fail here instead.
  if (keyId !== k.keyId) throw new Error(`signingKey.keyId ${JSON.stringify(k.keyId)} is not the key's thumbprint ${keyId}`);
  return key;
}

/** Signs a manifest as a compact JWS (alg EdDSA, kid = key id). Exported for tests that forge batches. */
export async function signManifest(manifest: SignedManifest, signingKey: SigningKeyInput): Promise<string> {
  const key = await resolveKey(signingKey);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(manifest))).setProtectedHeader({ alg: SIGNING_ALG, kid: signingKey.keyId }).sign(key);
}

/** Builds one signed batch file. Throws (naming the problem) on invalid input: it is the sender's bug. */
export async function buildBatch(input: BuildBatchInput): Promise<BuiltBatch> {
  const lines = input.lines ?? (input.records as readonly BatchRecord[]).map(encodeRecordLine);
  if (lines.length !== input.records.length) throw new Error(`buildBatch: ${lines.length} lines for ${input.records.length} records`);
  const raw = new TextEncoder().encode(lines.length ? `${lines.join("\n")}\n` : "");
  const body = await (input.gzip ?? streamsGzip).gzip(raw);
  const counts: Record<string, number> = {};
  for (const r of input.records) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  const createdAt = input.createdAt ?? new Date();
  const route = {
    batch_id: input.batchId ?? crypto.randomUUID(),
    source: input.source,
    destination: input.destination,
    sequence: input.sequence,
    prev_hash: input.prevHash,
  };
  const summary = { counts, records: input.records.length, raw_bytes: raw.length };
  const sealed = input.seal && (await sealBody(body, sealAad(route), [input.seal.recipient, input.seal.sender]));
  const fileBody = sealed ? sealed.ciphertext : body;
  const common = {
    ...route,
    body_sha256: await sha256Hex(fileBody),
    body_bytes: fileBody.length,
    created_at: createdAt.toISOString(),
    expires_at: new Date(createdAt.getTime() + input.ttlMs).toISOString(),
    ack: input.ack,
    key_id: input.signingKey.keyId,
    release: input.release ?? VERSION,
    schema_version: input.schemaVersion ?? null,
    ...(input.supersedes?.length ? { supersedes: input.supersedes } : {}),
  };
  const parsed = sealed
    ? manifestV3Schema.safeParse({ format: FORMAT_VERSION, ...common, sealed: sealed.sealed })
    : manifestV2Schema.safeParse({ format: 2, ...common, ...summary });
  if (!parsed.success) throw new Error(`buildBatch: invalid manifest: ${describeIssues(parsed.error)}`);
  const file = encodeBatchFile(await signManifest(parsed.data, input.signingKey), fileBody);
  return { file, manifest: { ...parsed.data, ...summary }, fileSha256: await sha256Hex(file) };
}

export interface SplitLimits {
  maxRecords: number;
  /** Uncompressed JSONL bytes per batch (the receiver's maxRawBytes must be at least this). */
  maxRawBytes: number;
}

export interface TakenGroup<R> {
  /** The first records, in order, that fit one batch together. */
  group: R[];
  /** The group's body lines, for buildBatch (each record is encoded once). */
  lines: string[];
  /** Records met on the way that can never be sent (too large alone, or not a valid envelope). */
  rejected: Array<{ record: R; reason: string }>;
  /** How many of the input records were looked at (group + rejected). */
  taken: number;
}

/** The first batch's worth of `records`, each record encoded once, setting apart those that can never be sent. */
export function takeGroup<R extends BatchRecord>(records: readonly R[], limits: SplitLimits): TakenGroup<R> {
  return takeLines(records, limits, encodeRecordLine);
}

/** The same for records held in another shape: `encode` writes one's body line, or throws naming it. */
export function takeLines<R extends { kind: string; id: string }>(records: readonly R[], limits: SplitLimits, encode: (r: R) => string): TakenGroup<R> {
  if (!(limits.maxRecords >= 1) || !(limits.maxRawBytes >= 1)) throw new Error("splitRecords: limits must be at least 1");
  const out: TakenGroup<R> = { group: [], lines: [], rejected: [], taken: 0 };
  let bytes = 0;
  for (const r of records) {
    let line: string;
    let size: number;
    try {
      line = encode(r);
      size = utf8Length(line) + 1; // + "\n"
    } catch (e) {
      out.rejected.push({ record: r, reason: e instanceof Error ? e.message : String(e) });
      out.taken++;
      continue;
    }
    if (size > limits.maxRawBytes) {
      out.rejected.push({
        record: r,
        reason: `record ${describeRecord(r)} is ${size} bytes as a body line, more than the ${limits.maxRawBytes}-byte batch limit; it cannot be sent`,
      });
      out.taken++;
      continue;
    }
    if (out.group.length > 0 && (out.group.length >= limits.maxRecords || bytes + size > limits.maxRawBytes)) break;
    out.group.push(r);
    out.lines.push(line);
    bytes += size;
    out.taken++;
  }
  return out;
}

/**
 * Groups records, in order, so that each group fits one batch under both limits. A record whose
 * own line exceeds maxRawBytes (or is not a valid envelope) can never be sent: that throws, naming it.
 */
export function splitRecords<R extends BatchRecord>(records: readonly R[], limits: SplitLimits): R[][] {
  const groups: R[][] = [];
  for (let rest = records; rest.length; ) {
    const { group, rejected, taken } = takeGroup(rest, limits);
    if (rejected.length) throw new Error(rejected[0].reason);
    if (group.length) groups.push(group);
    rest = rest.slice(taken);
  }
  return groups;
}
