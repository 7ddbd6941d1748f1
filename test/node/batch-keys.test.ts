// Batch signing keys: a peer key set during rotation, and what parsePeerKeys accepts and refuses.
import { describe, expect, it } from "vitest";
import { parsePeerKeys } from "../../src/transfer/batch/keys.ts";
import { A, B, build, expectFail, useBatchKeys, verify } from "../helpers/batches.ts";

useBatchKeys();

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
