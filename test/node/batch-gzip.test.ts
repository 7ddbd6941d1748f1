// Node's zlib codec for batch bodies (src/runtime/node/gzip.ts) against the Compression Streams
// codec every runtime has: each reads the other's output, and both refuse the same bodies with
// the same code and message, the size cap included.
import { describe, expect, it } from "vitest";
import { streamsGzip } from "../../src/transfer/batch/gzip.ts";
import { nodeGzip } from "../../src/runtime/node/gzip.ts";

const text = Array.from({ length: 2000 }, (_, i) => `{"kind":"user","id":"u${i}","data":{"name":"Ünïcode ${i} ✓"}}\n`).join("");
const raw = new TextEncoder().encode(text);

describe("gzip codecs", () => {
  it("each inflates the other's gzip to the same bytes", async () => {
    for (const [a, b] of [
      [nodeGzip, streamsGzip],
      [streamsGzip, nodeGzip],
    ]) {
      const gz = await a.gzip(raw);
      expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
      const back = await b.gunzipCapped(gz, raw.length);
      expect(back.ok && new TextDecoder().decode(back.bytes)).toBe(text);
    }
  });

  it("refuse the same bodies the same way: one byte over the cap, truncated, not gzip", async () => {
    const gz = await streamsGzip.gzip(raw);
    const cases: Array<[Uint8Array, number]> = [
      [gz, raw.length - 1],
      [gz.subarray(0, gz.length - 8), raw.length],
      [new TextEncoder().encode("plain text, not gzip"), raw.length],
    ];
    const verdicts = [];
    for (const [body, cap] of cases) {
      const n = await nodeGzip.gunzipCapped(body, cap);
      const s = await streamsGzip.gunzipCapped(body, cap);
      expect(n.ok).toBe(false);
      expect(s.ok).toBe(false);
      if (!n.ok && !s.ok) {
        expect(n.code).toBe(s.code);
        if (n.code === "too_large") expect(n.reason).toBe(s.reason);
        else expect(n.reason).toMatch(/^the body is not valid gzip: ./);
        verdicts.push(n.code);
      }
    }
    expect(verdicts).toEqual(["too_large", "decompression_failed", "decompression_failed"]);
  });

  it("a gzip bomb stops at the cap", async () => {
    const bomb = await nodeGzip.gzip(new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    expect(await nodeGzip.gunzipCapped(bomb, 1024 * 1024)).toMatchObject({ ok: false, code: "too_large" });
    expect(await nodeGzip.gunzipCapped(new Uint8Array(0), 1024)).toMatchObject({ ok: false, code: "decompression_failed" });
  });
});
