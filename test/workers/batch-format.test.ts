import { describe, expect, it } from "vitest";
import { encodeBatchFile } from "../../src/transfer/batch/format.ts";
import { sha256Hex, ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import { generateSigningKey, parsePeerKeys } from "../../src/transfer/batch/keys.ts";
import type { Manifest } from "../../src/transfer/batch/manifest.ts";
import { verifyBatch } from "../../src/transfer/batch/read.ts";
import { buildBatch, signManifest } from "../../src/transfer/batch/write.ts";
import { generateEncryptionKey, parseEncryptionKeys } from "../../src/transfer/batch/seal.ts";

// The same module inside workerd: Ed25519 through WebCrypto, gzip through Compression Streams,
// and the streaming inflate cap, which is what keeps a bomb from blowing a 128 MB isolate.
describe("batch format on workerd", () => {
  const SRC = "airlock-response";
  const DST = "airlock-request";

  it("builds and verifies a batch (Ed25519 + gzip round trip)", async () => {
    const key = await generateSigningKey();
    const records = [
      { kind: "user", id: "u1", version: 2, data: { email: "ada@example.org" } },
      { kind: "request", id: "r1", version: 1, data: { topic: "t", body: "ünïcode ✓" } },
    ];
    const built = await buildBatch({
      records,
      source: SRC,
      destination: DST,
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 86_400_000,
      signingKey: { privateJwk: key.privateJwk, keyId: key.keyId },
    });
    const r = await verifyBatch(built.file, { expectedDestination: DST, peerKeys: await parsePeerKeys([key.publicJwk]) });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.records).toEqual(records);
      expect(r.manifest.counts).toEqual({ user: 1, request: 1 });
    }
    const other = await generateSigningKey();
    const bad = await verifyBatch(built.file, { expectedDestination: DST, peerKeys: await parsePeerKeys([other.publicJwk]) });
    expect(bad.ok || bad.code).toBe("unknown_key");
  });

  it("seals a batch to the destination (X25519 + AES-GCM), opens it with the destination's key, and not without it", async () => {
    const key = await generateSigningKey();
    const to = await generateEncryptionKey();
    const from = await generateEncryptionKey();
    const records = [{ kind: "user", id: "u1", version: 2, data: { email: "sealed-in-workerd@example.org" } }];
    const seal = { recipient: (await parseEncryptionKeys([to.privateJwk])).current, sender: (await parseEncryptionKeys([from.privateJwk])).current };
    const built = await buildBatch({
      records,
      source: SRC,
      destination: DST,
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 86_400_000,
      signingKey: { privateJwk: key.privateJwk, keyId: key.keyId },
      seal,
    });
    expect(new TextDecoder("latin1").decode(built.file)).not.toContain("sealed-in-workerd");
    const peerKeys = await parsePeerKeys([key.publicJwk]);
    const opened = await verifyBatch(built.file, { expectedDestination: DST, peerKeys, openingKeys: (await parseEncryptionKeys([to.privateJwk])).opening });
    expect(opened.ok && opened.records).toEqual(records);
    expect(opened.ok && opened.manifest).toMatchObject({ format: 3, counts: { user: 1 }, records: 1 });
    const closed = await verifyBatch(built.file, { expectedDestination: DST, peerKeys });
    expect(closed.ok || closed.code).toBe("unknown_encryption_key");
  });

  it("refuses a 50 MB gzip bomb against a 10 MB cap without inflating it", async () => {
    const RAW = 50 * 1024 * 1024;
    const CHUNK = 1024 * 1024;
    let produced = 0;
    const zeros = new ReadableStream<BufferSource>({
      pull(c) {
        if (produced >= RAW) return c.close();
        c.enqueue(new Uint8Array(CHUNK));
        produced += CHUNK;
      },
    });
    const bomb = new Uint8Array(await new Response(zeros.pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
    expect(bomb.length).toBeLessThan(RAW / 100);

    const key = await generateSigningKey();
    const now = Date.now();
    // Correctly signed, with a lying raw_bytes: only the streaming cap can catch it.
    const manifest: Manifest = {
      format: 1,
      batch_id: crypto.randomUUID(),
      source: SRC,
      destination: DST,
      sequence: 1,
      prev_hash: ZERO_HASH,
      counts: {},
      records: 0,
      body_sha256: await sha256Hex(bomb),
      body_bytes: bomb.length,
      raw_bytes: 100,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + 60_000).toISOString(),
      ack: 0,
      key_id: key.keyId,
    };
    const file = encodeBatchFile(await signManifest(manifest, { privateJwk: key.privateJwk, keyId: key.keyId }), bomb);
    const r = await verifyBatch(file, {
      expectedDestination: DST,
      peerKeys: await parsePeerKeys([key.publicJwk]),
      limits: { maxFileBytes: 4 * 1024 * 1024, maxRawBytes: 10 * 1024 * 1024, maxRecords: 100 },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe("too_large");
      expect(r.reason).toMatch(/more than 10485760 bytes/);
    }
  });
});
