import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/spawn.ts";
import { encodeBatchFile } from "../../src/transfer/batch/format.ts";
import { gzip } from "../../src/transfer/batch/gzip.ts";
import { sha256Hex, ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import { generateSigningKey, importPrivateKey, parsePeerKeys, type PeerKeySet, type SigningKeyPair } from "../../src/transfer/batch/keys.ts";
import type { BatchRecord, Manifest } from "../../src/transfer/batch/manifest.ts";
import { readManifestUnverified, verifyBatch, type VerifyOptions, type VerifyResult } from "../../src/transfer/batch/read.ts";
import { buildBatch, signManifest, splitRecords, type BuildBatchInput, type SigningKeyInput } from "../../src/transfer/batch/write.ts";
import { verifyFiles } from "../../src/transfer/batch/cli-verify.ts";
import { VERSION } from "../../src/version.ts";

const SRC = "airlock-response";
const DST = "airlock-request";
const DAY = 86_400_000;
const T0 = new Date("2026-11-21T12:00:00.000Z");
const enc = new TextEncoder();

let A: SigningKeyPair; // the sender's key
let B: SigningKeyPair; // another key (rotation / impostor)
let peerA: PeerKeySet;

const signerA = (): SigningKeyInput => ({ privateJwk: A.privateJwk, keyId: A.keyId });

const RECORDS: BatchRecord[] = [
  { kind: "user", id: "u1", version: 3, data: { email: "ada@example.org", role: "admin" } },
  { kind: "user", id: "u2", version: 1, data: { email: "bob@example.org", name: "Bøb ✓" } },
  { kind: "request", id: "r1", version: 7, data: { topic: "weather", body: "is it raining?" } },
];

function build(over: Partial<BuildBatchInput> = {}) {
  return buildBatch({ records: RECORDS, source: SRC, destination: DST, sequence: 1, prevHash: ZERO_HASH, ack: 0, createdAt: T0, ttlMs: DAY, signingKey: signerA(), ...over });
}

function verify(file: Uint8Array, over: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  return verifyBatch(file, {
    expectedDestination: DST,
    peerKeys: peerA,
    now: T0.getTime() + 1000,
    limits: { maxFileBytes: 1024 * 1024, maxRawBytes: 1024 * 1024, maxRecords: 1000 },
    ...over,
  });
}

function expectFail(r: VerifyResult, code: string, reasonPart?: RegExp) {
  if (r.ok) throw new Error(`expected failure ${code}, got ok`);
  expect(r.code).toBe(code);
  expect(r.reason.length).toBeGreaterThan(5);
  if (reasonPart) expect(r.reason).toMatch(reasonPart);
}

/** A correctly signed batch around an arbitrary body and manifest: the sender itself is hostile or buggy. */
async function forge(opts: { body?: Uint8Array; rawText?: string; manifest?: Record<string, unknown>; signer?: SigningKeyInput }) {
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

/** Replaces the manifest line's JWS, keeping magic and body. */
function withJws(file: Uint8Array, f: (jws: string) => string): Uint8Array {
  const text = new TextDecoder("latin1").decode(file);
  const start = "AIRLOCK-BATCH/1\n".length;
  const end = text.indexOf("\n", start);
  const jws = f(text.slice(start, end));
  return encodeBatchFile(jws, file.subarray(end + 1));
}

const b64json = (v: unknown) => base64url.encode(JSON.stringify(v));

/** A base64url character replaced by a different valid one: a real change to that segment. */
function changeChar(s: string, i: number): string {
  return s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
}

beforeAll(async () => {
  A = await generateSigningKey();
  B = await generateSigningKey();
  peerA = await parsePeerKeys([A.publicJwk]);
});

describe("batch round trip", () => {
  it("builds, verifies and reads back the records and manifest", async () => {
    const built = await build({ ack: 4 });
    expect(new TextDecoder().decode(built.file.subarray(0, 16))).toBe("AIRLOCK-BATCH/1\n");
    expect(built.fileSha256).toBe(await sha256Hex(built.file));
    const m = built.manifest;
    expect(m).toMatchObject({ format: 2, release: VERSION, schema_version: null, source: SRC, destination: DST, sequence: 1, prev_hash: ZERO_HASH, counts: { user: 2, request: 1 }, records: 3, ack: 4, key_id: A.keyId });
    expect(m.created_at).toBe(T0.toISOString());
    expect(m.expires_at).toBe(new Date(T0.getTime() + DAY).toISOString());

    const r = await verify(built.file);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.records).toEqual(RECORDS);
    expect(r.manifest).toEqual(m);

    const unverified = readManifestUnverified(built.file);
    expect(unverified.ok && unverified.manifest.batch_id).toBe(m.batch_id);
    expect(unverified.ok && unverified.header).toEqual({ alg: "EdDSA", kid: A.keyId });
  });

  it("chains batches by the previous file's hash, and carries ack-only (empty) batches", async () => {
    const first = await build();
    const second = await build({ records: [], sequence: 2, prevHash: first.fileSha256, ack: 9 });
    const r = await verify(second.file);
    expect(r.ok && r.manifest).toMatchObject({ sequence: 2, prev_hash: first.fileSha256, records: 0, counts: {}, ack: 9, raw_bytes: 0 });
    expect(r.ok && r.records).toEqual([]);
  });

  it("refuses to build an invalid batch (sequence 1 with a prev hash, bad network id, bad record, wrong key id)", async () => {
    await expect(build({ prevHash: "ab".repeat(32) })).rejects.toThrow(/prev_hash/);
    await expect(build({ sequence: 2 })).rejects.toThrow(/prev_hash/);
    await expect(build({ destination: "Not A Network" })).rejects.toThrow(/destination/);
    await expect(build({ records: [{ kind: "user", id: "x", version: 1, data: [] as unknown as Record<string, unknown> }] })).rejects.toThrow(/user\/x/);
    await expect(build({ signingKey: { privateJwk: A.privateJwk, keyId: B.keyId } })).rejects.toThrow(/thumbprint/);
  });

  it("signs with an imported CryptoKey as well as with the JWK", async () => {
    const key = await importPrivateKey(JSON.stringify(A.privateJwk));
    const r = await verify((await build({ signingKey: { key, keyId: A.keyId } })).file);
    expect(r.ok).toBe(true);
  });
});

describe("verification failures, each provoked for real", () => {
  it("empty file, random garbage, and a file without a manifest line → not_a_batch", async () => {
    expectFail(await verify(new Uint8Array(0)), "not_a_batch", /empty/);
    expectFail(await verify(crypto.getRandomValues(new Uint8Array(4096))), "not_a_batch", /magic/);
    expectFail(await verify(enc.encode("AIRLOCK-BATCH/1\nnot a jws at all\n")), "not_a_batch", /compact JWS/);
    expectFail(await verify(enc.encode("AIRLOCK-BATCH/1\n" + "a".repeat(100_000))), "not_a_batch", /longer than/);
  });

  it("truncated file → checksum_mismatch (cut in the body) or not_a_batch (cut in the manifest)", async () => {
    const { file } = await build();
    expectFail(await verify(file.subarray(0, file.length - 5)), "checksum_mismatch", /truncated/);
    expectFail(await verify(file.subarray(0, 100)), "not_a_batch", /truncated/);
  });

  it("a flipped bit in the body → checksum_mismatch", async () => {
    const { file } = await build();
    const bad = file.slice();
    bad[bad.length - 10] ^= 0x01;
    expectFail(await verify(bad), "checksum_mismatch", /SHA-256/);
  });

  it("a changed manifest or signature → bad_signature; a raw bit flip anywhere in the manifest line is refused", async () => {
    const { file } = await build();
    const payloadChanged = withJws(file, (jws) => {
      const [h, p, s] = jws.split(".");
      return `${h}.${changeChar(p, 40)}.${s}`;
    });
    expectFail(await verify(payloadChanged), "bad_signature");
    const sigChanged = withJws(file, (jws) => {
      const [h, p, s] = jws.split(".");
      return `${h}.${p}.${changeChar(s, 10)}`;
    });
    expectFail(await verify(sigChanged), "bad_signature", /does not verify/);

    // Every single-bit flip in the JWS line must be refused (not necessarily with the same code).
    const start = 16;
    const end = file.indexOf(0x0a, start);
    for (let i = start; i < end; i += 7) {
      const bad = file.slice();
      bad[i] ^= 1 << i % 7;
      const r = await verify(bad);
      expect(r.ok, `bit flip at byte ${i}`).toBe(false);
      if (!r.ok) expect(["not_a_batch", "bad_signature", "unknown_key"]).toContain(r.code);
    }
  });

  it("signed with another key: unknown kid → unknown_key; another key claiming our kid → bad_signature", async () => {
    const other = await build({ signingKey: { privateJwk: B.privateJwk, keyId: B.keyId } });
    expectFail(await verify(other.file), "unknown_key", new RegExp(B.keyId));
    const bKey = await importPrivateKey(B.privateJwk);
    const impostor = await build({ signingKey: { key: bKey, keyId: A.keyId } });
    expectFail(await verify(impostor.file), "bad_signature", /does not verify/);
    // No kid at all.
    const noKid = withJws((await build()).file, (jws) => `${b64json({ alg: "EdDSA" })}.${jws.split(".").slice(1).join(".")}`);
    expectFail(await verify(noKid), "unknown_key", /no kid/);
  });

  it("alg tampering (HS256 with the public key as HMAC secret) and alg none → bad_signature", async () => {
    const { file } = await build();
    const payload = (jws: string) => jws.split(".")[1];
    // Classic confusion attack: an HMAC over the token keyed with the (public) key material.
    const jws0 = new TextDecoder().decode(file.subarray(16, file.indexOf(0x0a, 16)));
    const header = b64json({ alg: "HS256", kid: A.keyId });
    const hmacKey = await crypto.subtle.importKey("raw", base64url.decode(A.publicJwk.x!) as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, enc.encode(`${header}.${payload(jws0)}`)));
    const hsFile = withJws(file, (jws) => `${header}.${payload(jws)}.${base64url.encode(mac)}`);
    expectFail(await verify(hsFile), "bad_signature", /HS256.*not allowed/);

    const none = withJws(file, (jws) => `${b64json({ alg: "none", kid: A.keyId })}.${payload(jws)}.`);
    expectFail(await verify(none), "bad_signature", /"none".*not allowed/);
    // The original signature under a header whose alg was swapped.
    const swapped = withJws(file, (jws) => `${b64json({ alg: "ES256", kid: A.keyId })}.${payload(jws)}.${jws.split(".")[2]}`);
    expectFail(await verify(swapped), "bad_signature", /ES256/);
  });

  it("a manifest key_id that differs from the JWS kid → bad_signature", async () => {
    const file = await forge({ manifest: { key_id: B.keyId } });
    expectFail(await verify(file), "bad_signature", /key_id/);
  });

  it("wrong destination → wrong_destination; a null expected destination accepts any", async () => {
    const { file } = await build({ destination: "airlock-elsewhere" });
    expectFail(await verify(file), "wrong_destination", /airlock-elsewhere/);
    expect((await verify(file, { expectedDestination: null })).ok).toBe(true);
  });

  it("expired → expired", async () => {
    const { file, manifest } = await build({ ttlMs: 60_000 });
    expect((await verify(file, { now: Date.parse(manifest.expires_at) - 1 })).ok).toBe(true);
    expectFail(await verify(file, { now: Date.parse(manifest.expires_at) }), "expired");
    expectFail(await verify(file, { now: new Date(T0.getTime() + DAY) }), "expired", /expired at/);
  });

  it("format version 3 (signed manifest), or container version 2 → bad_format_version", async () => {
    expectFail(await verify(await forge({ manifest: { format: 3, new_field: "x" } })), "bad_format_version", /format 3/);
    const { file } = await build();
    const v2 = file.slice();
    v2[14] = "2".charCodeAt(0);
    expectFail(await verify(v2), "bad_format_version", /container version "2"/);
  });

  it("format 1: an unknown manifest field is refused; format 2 ignores it; an inconsistent manifest is refused even when signed", async () => {
    expectFail(await verify(await forge({ manifest: { extra: true } })), "not_a_batch", /extra/);
    const v2 = await verify(await forge({ manifest: { format: 2, release: "9.9.9", schema_version: "0099_future", extra: true } }));
    if (!v2.ok) throw new Error(v2.reason);
    expect(v2.manifest).toMatchObject({ format: 2, release: "9.9.9", schema_version: "0099_future" });
    expect("extra" in v2.manifest).toBe(false);
    expectFail(await verify(await forge({ manifest: { records: 5 } })), "not_a_batch", /counts add up/);
  });

  it("records: not an object, not JSON, extra envelope field, unterminated line, counts mismatch → bad_record", async () => {
    const one = { records: 1, counts: { user: 1 } };
    expectFail(await verify(await forge({ rawText: "42\n", manifest: one })), "bad_record", /line 1.*expected an object, got number/);
    expectFail(await verify(await forge({ rawText: '"user"\n', manifest: one })), "bad_record", /got string/);
    expectFail(await verify(await forge({ rawText: "{not json\n", manifest: one })), "bad_record", /not JSON/);
    const withExtra = JSON.stringify({ kind: "user", id: "u1", version: 1, data: {}, sneaky: 1 });
    expectFail(await verify(await forge({ rawText: `${withExtra}\n`, manifest: one })), "bad_record", /user\/u1/);
    const dataArray = JSON.stringify({ kind: "user", id: "u1", version: 1, data: [1] });
    expectFail(await verify(await forge({ rawText: `${dataArray}\n`, manifest: one })), "bad_record", /data/);
    const proto = JSON.stringify({ kind: "__proto__", id: "u1", version: 1, data: {} });
    expectFail(await verify(await forge({ rawText: `${proto}\n`, manifest: one })), "bad_record", /kind/);
    const good = JSON.stringify({ kind: "user", id: "u1", version: 1, data: {} });
    expectFail(await verify(await forge({ rawText: good, manifest: one })), "bad_record", /no newline/);
    expectFail(await verify(await forge({ rawText: `${good}\n`, manifest: { records: 1, counts: { request: 1 } } })), "bad_record", /counts/);
    const rawBad = new Uint8Array([...enc.encode('{"kind":"user","id":"'), 0xff, ...enc.encode('","version":1,"data":{}}\n')]);
    const body = await gzip(rawBad);
    expectFail(await verify(await forge({ body, manifest: { ...one, raw_bytes: rawBad.length } })), "bad_record", /UTF-8/);
  });

  it("inflated size differing from raw_bytes → checksum_mismatch", async () => {
    const good = `${JSON.stringify({ kind: "user", id: "u1", version: 1, data: {} })}\n`;
    expectFail(await verify(await forge({ rawText: good, manifest: { records: 1, counts: { user: 1 }, raw_bytes: 3 } })), "checksum_mismatch", /inflates/);
  });

  it("a body that is not gzip → decompression_failed", async () => {
    const body = crypto.getRandomValues(new Uint8Array(2048));
    expectFail(await verify(await forge({ body, manifest: { raw_bytes: 10 } })), "decompression_failed", /gzip/);
    // Truncated gzip (valid start, missing end), still correctly signed.
    const gz = await gzip(enc.encode("x".repeat(5000) + "\n"));
    expectFail(await verify(await forge({ body: gz.subarray(0, gz.length - 8), manifest: { raw_bytes: 5001 } })), "decompression_failed");
  });

  it("file, declared inflated size and record count over the limits → too_large / record_limit", async () => {
    const { file } = await build();
    expectFail(await verify(file, { limits: { maxFileBytes: 100, maxRawBytes: 1e6, maxRecords: 10 } }), "too_large", /limit is 100/);
    expectFail(await verify(file, { limits: { maxFileBytes: 1e6, maxRawBytes: 50, maxRecords: 10 } }), "too_large", /declared/);
    expectFail(await verify(file, { limits: { maxFileBytes: 1e6, maxRawBytes: 1e6, maxRecords: 2 } }), "record_limit", /3 records/);
    // A manifest that under-declares its records is still caught while parsing.
    const lines = RECORDS.map((r) => `${JSON.stringify(r)}\n`).join("");
    const lying = await forge({ rawText: lines, manifest: { records: 1, counts: { user: 1 } } });
    expectFail(await verify(lying, { limits: { maxFileBytes: 1e6, maxRawBytes: 1e6, maxRecords: 2 } }), "record_limit", /3 records/);
  });
});

describe("gzip bomb", () => {
  const BOMB_RAW = 200 * 1024 * 1024;
  let bomb: Uint8Array;

  beforeAll(async () => {
    // 200 MB of zeros compressed chunk by chunk: never more than 1 MiB of input in memory.
    const chunk = 1024 * 1024;
    let produced = 0;
    const zeros = new ReadableStream<BufferSource>({
      pull(c) {
        if (produced >= BOMB_RAW) return c.close();
        c.enqueue(new Uint8Array(chunk));
        produced += chunk;
      },
    });
    const parts: Uint8Array[] = [];
    const reader = zeros.pipeThrough(new CompressionStream("gzip")).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    bomb = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bomb.set(p, at);
      at += p.length;
    }
  }, 60_000);

  it("is refused with too_large by the streaming cap, with low peak memory, even when the signed manifest lies", async () => {
    expect(bomb.length).toBeLessThan(1024 * 1024); // ~200 KB on disk
    const file = await forge({ body: bomb, manifest: { raw_bytes: 1000 } });
    const limits = { maxFileBytes: 2 * 1024 * 1024, maxRawBytes: 10 * 1024 * 1024, maxRecords: 1000 };

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 1);
    const started = Date.now();
    const r = await verify(file, { limits });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    expectFail(r, "too_large", /more than 10485760 bytes/);
    expect(peak - baseline).toBeLessThan(100 * 1024 * 1024);
    // Stopping at the cap is also fast: inflating all 200 MB would take far longer.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("is refused before inflating when its honest raw_bytes is over the limit", async () => {
    const file = await forge({ body: bomb, manifest: { raw_bytes: BOMB_RAW } });
    expectFail(await verify(file, { limits: { maxFileBytes: 2 * 1024 * 1024, maxRawBytes: 10 * 1024 * 1024, maxRecords: 1000 } }), "too_large", /declared/);
  });
});

describe("splitRecords", () => {
  const rec = (i: number, size = 10): BatchRecord => ({ kind: "request", id: `r${i}`, version: 1, data: { pad: "x".repeat(size) } });
  const lineBytes = (r: BatchRecord) => enc.encode(`${JSON.stringify(r)}\n`).length;

  it("splits by record count, preserving order", () => {
    const records = Array.from({ length: 25 }, (_, i) => rec(i));
    const groups = splitRecords(records, { maxRecords: 10, maxRawBytes: 1e9 });
    expect(groups.map((g) => g.length)).toEqual([10, 10, 5]);
    expect(groups.flat()).toEqual(records);
    expect(splitRecords([], { maxRecords: 10, maxRawBytes: 100 })).toEqual([]);
  });

  it("splits by raw bytes, each group under the limit and each building a verifiable batch", async () => {
    const records = Array.from({ length: 40 }, (_, i) => rec(i, 50 + i * 7));
    const maxRawBytes = 1000;
    const groups = splitRecords(records, { maxRecords: 1000, maxRawBytes });
    expect(groups.length).toBeGreaterThan(3);
    expect(groups.flat()).toEqual(records);
    let prevHash = ZERO_HASH;
    for (const [i, g] of groups.entries()) {
      const size = g.reduce((n, r) => n + lineBytes(r), 0);
      expect(size).toBeLessThanOrEqual(maxRawBytes);
      const built = await build({ records: g, sequence: i + 1, prevHash });
      expect(built.manifest.raw_bytes).toBe(size);
      const r = await verify(built.file, { limits: { maxFileBytes: 1e6, maxRawBytes, maxRecords: 1000 } });
      expect(r.ok).toBe(true);
      prevHash = built.fileSha256;
    }
  });

  it("counts multibyte characters as UTF-8 bytes", () => {
    const r = { kind: "user", id: "é", version: 1, data: { n: "😀✓" } };
    const exact = lineBytes(r);
    expect(splitRecords([r, r], { maxRecords: 10, maxRawBytes: exact * 2 })).toHaveLength(1);
    expect(splitRecords([r, r], { maxRecords: 10, maxRawBytes: exact * 2 - 1 })).toHaveLength(2);
  });

  it("a single record over maxRawBytes is an error naming the record", () => {
    expect(() => splitRecords([rec(1), rec(2, 5000), rec(3)], { maxRecords: 10, maxRawBytes: 1000 })).toThrow(/request\/r2 is \d+ bytes/);
  });
});

describe("keys and rotation", () => {
  it("a set of two public keys verifies batches signed by either", async () => {
    const both = await parsePeerKeys(JSON.stringify([A.publicJwk, B.publicJwk]));
    expect([...both.keys()].sort()).toEqual([A.keyId, B.keyId].sort());
    const byA = await build();
    const byB = await build({ signingKey: { privateJwk: B.privateJwk, keyId: B.keyId } });
    expect((await verify(byA.file, { peerKeys: both })).ok).toBe(true);
    expect((await verify(byB.file, { peerKeys: both })).ok).toBe(true);
    // After rotation completes and A is dropped, A's batches no longer verify.
    expectFail(await verify(byA.file, { peerKeys: await parsePeerKeys(B.publicJwk) }), "unknown_key");
  });

  it("parses one JWK, an array, or a JWKS; refuses private keys, wrong curves, mismatched kids and empty sets", async () => {
    expect((await parsePeerKeys(JSON.stringify(A.publicJwk))).has(A.keyId)).toBe(true);
    expect((await parsePeerKeys({ keys: [A.publicJwk] })).has(A.keyId)).toBe(true);
    await expect(parsePeerKeys([A.privateJwk])).rejects.toThrow(/PRIVATE/);
    await expect(parsePeerKeys({ kty: "EC", crv: "P-256", x: "a", y: "b" })).rejects.toThrow(/Ed25519/);
    await expect(parsePeerKeys([A.publicJwk, { ...B.publicJwk, kid: A.keyId }])).rejects.toThrow(/#2.*thumbprint/);
    await expect(parsePeerKeys("[]")).rejects.toThrow(/empty/);
    await expect(parsePeerKeys("{oops")).rejects.toThrow(/JSON/);
    expect(A.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(A.publicJwk).not.toHaveProperty("d");
  });
});

describe("offline verify CLI", () => {
  const TSX = join(ROOT, "node_modules/.bin/tsx");
  const run = (script: string, args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(TSX, [script, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-batch-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keygen writes a 0600 private key and a public key that the verify CLI accepts", async () => {
    const gen = await run("scripts/keygen.ts", ["--network", SRC, "--out", dir]);
    expect(gen.code).toBe(0);
    const privPath = join(dir, `${SRC}.private.jwk.json`);
    const pubPath = join(dir, `${SRC}.public.jwk.json`);
    expect((await stat(privPath)).mode & 0o777).toBe(0o600);
    const privateJwk = JSON.parse(await readFile(privPath, "utf8"));
    const publicJwk = JSON.parse(await readFile(pubPath, "utf8"));
    expect(publicJwk.d).toBeUndefined();
    expect(gen.stdout).toContain(publicJwk.kid);
    // Refuses to overwrite an existing key.
    expect((await run("scripts/keygen.ts", ["--network", SRC, "--out", dir])).code).toBe(1);

    const now = new Date();
    const ok1 = await buildBatch({ records: RECORDS, source: SRC, destination: DST, sequence: 1, prevHash: ZERO_HASH, ack: 0, createdAt: now, ttlMs: DAY, signingKey: { privateJwk, keyId: publicJwk.kid } });
    const ok2 = await buildBatch({ records: RECORDS.slice(0, 1), source: SRC, destination: DST, sequence: 2, prevHash: ok1.fileSha256, ack: 0, createdAt: now, ttlMs: DAY, signingKey: { privateJwk, keyId: publicJwk.kid } });
    await writeFile(join(dir, "1.batch"), ok1.file);
    await writeFile(join(dir, "2.batch"), ok2.file);
    const tampered = ok2.file.slice();
    tampered[tampered.length - 3] ^= 0x40;
    await writeFile(join(dir, "bad.batch"), tampered);

    const good = await run("scripts/ferry.ts", ["verify", "--public-key", pubPath, "--destination", DST, join(dir, "1.batch"), join(dir, "2.batch")]);
    expect(good.code).toBe(0);
    expect(good.stdout.trim().split("\n")).toEqual([`OK ${ok1.manifest.batch_id} seq=1 records=3`, `OK ${ok2.manifest.batch_id} seq=2 records=1`, "verified 2 of 2 file(s); 0 failed"]);

    const mixed = await run("scripts/ferry.ts", ["verify", "--public-key", pubPath, join(dir, "1.batch"), join(dir, "bad.batch"), join(dir, "missing.batch")]);
    expect(mixed.code).toBe(1);
    const lines = mixed.stdout.trim().split("\n");
    expect(lines[0]).toBe(`OK ${ok1.manifest.batch_id} seq=1 records=3`);
    expect(lines[1]).toMatch(new RegExp(`^FAIL ${join(dir, "bad.batch")}: .*SHA-256.*\\(checksum_mismatch\\)$`));
    expect(lines[2]).toMatch(/^FAIL .*missing\.batch: cannot read the file/);

    const wrongDest = await run("scripts/ferry.ts", ["verify", "--public-key", pubPath, "--destination", "airlock-other", join(dir, "1.batch")]);
    expect(wrongDest.code).toBe(1);
    expect(wrongDest.stdout).toMatch(/wrong_destination/);

    // The peer key set can also come from the environment, as on a network.
    const fromEnv = await run("scripts/ferry.ts", ["verify", join(dir, "1.batch")], { AIRLOCK_PEER_PUBLIC_KEYS: JSON.stringify([publicJwk]) });
    expect(fromEnv.code).toBe(0);

    // Usage errors: no key, no files, a private key given as the public key.
    expect((await run("scripts/ferry.ts", ["verify", join(dir, "1.batch")])).code).toBe(2);
    expect((await run("scripts/ferry.ts", ["verify", "--public-key", pubPath])).code).toBe(2);
    const priv = await run("scripts/ferry.ts", ["verify", "--public-key", privPath, join(dir, "1.batch")]);
    expect(priv.code).toBe(2);
    expect(priv.stderr).toMatch(/PRIVATE/);
  }, 60_000);

  it("verifyFiles refuses an oversized file by its size without reading it", async () => {
    const { file } = await build({ createdAt: new Date() });
    const reads: string[] = [];
    const res = await verifyFiles(["big", "small"], {
      peerKeys: peerA,
      limits: { maxFileBytes: 10_000 },
      readFile: async (path, max) => {
        reads.push(path);
        return path === "big" ? { size: max + 1 } : file;
      },
    });
    expect(res.ok).toBe(false);
    expect(res.results[0]).toMatchObject({ ok: false, code: "too_large" });
    expect(res.results[1]).toMatchObject({ ok: true, records: 3 });
  });
});
