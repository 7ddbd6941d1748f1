// Batch files: build, verify and read back; every verification failure provoked for real; the gzip bomb.
import { base64url } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeBatchFile } from "../../src/transfer/batch/format.ts";
import { gzip } from "../../src/transfer/batch/gzip.ts";
import { sha256Hex, ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import { importPrivateKey } from "../../src/transfer/batch/keys.ts";
import { readManifestUnverified } from "../../src/transfer/batch/read.ts";
import { VERSION } from "../../src/version.ts";
import { A, B, DAY, DST, RECORDS, SRC, T0, build, enc, expectFail, forge, useBatchKeys, verify } from "../helpers/batches.ts";

useBatchKeys();

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

describe("batch round trip", () => {
  it("builds, verifies and reads back the records and manifest", async () => {
    const built = await build({ ack: 4 });
    expect(new TextDecoder().decode(built.file.subarray(0, 16))).toBe("AIRLOCK-BATCH/1\n");
    expect(built.fileSha256).toBe(await sha256Hex(built.file));
    const m = built.manifest;
    expect(m).toMatchObject({
      format: 2,
      release: VERSION,
      schema_version: null,
      source: SRC,
      destination: DST,
      sequence: 1,
      prev_hash: ZERO_HASH,
      counts: { user: 2, request: 1 },
      records: 3,
      ack: 4,
      key_id: A.keyId,
    });
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
    expectFail(await verify(enc.encode(`AIRLOCK-BATCH/1\n${"a".repeat(100_000)}`)), "not_a_batch", /longer than/);
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
      bad[i] ^= 1 << (i % 7);
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

  it("format version 4 (signed manifest), or container version 2 → bad_format_version", async () => {
    expectFail(await verify(await forge({ manifest: { format: 4, new_field: "x" } })), "bad_format_version", /format 4/);
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
    const gz = await gzip(enc.encode(`${"x".repeat(5000)}\n`));
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
