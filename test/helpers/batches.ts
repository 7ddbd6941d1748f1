// Batch fixtures for the batch tests: the sender's key and another one, a valid batch built and
// verified with fixed settings, the failure check, and a correctly signed batch around any body
// and manifest (a hostile or buggy sender).
import { beforeAll, expect } from "vitest";
import { encodeBatchFile } from "../../src/transfer/batch/format.ts";
import { gzip } from "../../src/transfer/batch/gzip.ts";
import { sha256Hex, ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import { generateSigningKey, parsePeerKeys, type PeerKeySet, type SigningKeyPair } from "../../src/transfer/batch/keys.ts";
import type { BatchRecord, Manifest } from "../../src/transfer/batch/manifest.ts";
import { verifyBatch, type VerifyOptions, type VerifyResult } from "../../src/transfer/batch/read.ts";
import { buildBatch, signManifest, type BuildBatchInput, type SigningKeyInput } from "../../src/transfer/batch/write.ts";

export const SRC = "airlock-response";
export const DST = "airlock-request";
export const DAY = 86_400_000;
export const T0 = new Date("2026-11-21T12:00:00.000Z");
export const enc = new TextEncoder();

export let A: SigningKeyPair; // the sender's key
export let B: SigningKeyPair; // another key (rotation / impostor)
export let peerA: PeerKeySet;

export const signerA = (): SigningKeyInput => ({ privateJwk: A.privateJwk, keyId: A.keyId });

export const RECORDS: BatchRecord[] = [
  { kind: "user", id: "u1", version: 3, data: { email: "ada@example.org", role: "admin" } },
  { kind: "user", id: "u2", version: 1, data: { email: "bob@example.org", name: "Bøb ✓" } },
  { kind: "request", id: "r1", version: 7, data: { topic: "weather", body: "is it raining?" } },
];

export function build(over: Partial<BuildBatchInput> = {}) {
  return buildBatch({ records: RECORDS, source: SRC, destination: DST, sequence: 1, prevHash: ZERO_HASH, ack: 0, createdAt: T0, ttlMs: DAY, signingKey: signerA(), ...over });
}

export function verify(file: Uint8Array, over: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  return verifyBatch(file, {
    expectedDestination: DST,
    peerKeys: peerA,
    now: T0.getTime() + 1000,
    limits: { maxFileBytes: 1024 * 1024, maxRawBytes: 1024 * 1024, maxRecords: 1000 },
    ...over,
  });
}

export function expectFail(r: VerifyResult, code: string, reasonPart?: RegExp) {
  if (r.ok) throw new Error(`expected failure ${code}, got ok`);
  expect(r.code).toBe(code);
  expect(r.reason.length).toBeGreaterThan(5);
  if (reasonPart) expect(r.reason).toMatch(reasonPart);
}

/** A correctly signed batch around an arbitrary body and manifest: the sender itself is hostile or buggy. */
export async function forge(opts: { body?: Uint8Array; rawText?: string; manifest?: Record<string, unknown>; signer?: SigningKeyInput }) {
  const raw = enc.encode(opts.rawText ?? "");
  const body = opts.body ?? (await gzip(raw));
  const manifest = {
    format: 1,
    batch_id: crypto.randomUUID(),
    source: SRC,
    destination: DST,
    sequence: 1,
    prev_hash: ZERO_HASH,
    counts: {},
    records: 0,
    body_sha256: await sha256Hex(body),
    body_bytes: body.length,
    raw_bytes: raw.length,
    created_at: T0.toISOString(),
    expires_at: new Date(T0.getTime() + DAY).toISOString(),
    ack: 0,
    key_id: (opts.signer ?? signerA()).keyId,
    ...opts.manifest,
  };
  const jws = await signManifest(manifest as unknown as Manifest, opts.signer ?? signerA());
  return encodeBatchFile(jws, body);
}

/** Registers the hook that makes the keys A and B (and peerA, which trusts A) for this test file. */
export function useBatchKeys() {
  beforeAll(async () => {
    A = await generateSigningKey();
    B = await generateSigningKey();
    peerA = await parsePeerKeys([A.publicJwk]);
  });
}
