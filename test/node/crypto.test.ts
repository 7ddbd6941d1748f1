import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex, toHex } from "../../src/lib/crypto.ts";

const webCrypto = async (b: Uint8Array) => toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>)));

describe("sha256Hex", () => {
  it("gives the FIPS 180-4 test vectors", async () => {
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("equals WebCrypto's digest for every length around the block and size boundaries", async () => {
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1023, 1024, 1025, 4096]) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      expect(await sha256Hex(bytes), `length ${n}`).toBe(await webCrypto(bytes));
    }
  });

  it("equals WebCrypto's digest for arbitrary text and bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 1100 })), async (v) => {
        const bytes = typeof v === "string" ? new TextEncoder().encode(v) : v;
        expect(await sha256Hex(v)).toBe(await webCrypto(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
