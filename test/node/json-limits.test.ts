// The JSON limits walker: exact edges of every limit, and it never throws on any input.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { JSON_LIMITS, checkJson, isWellFormed, jsonPointer, jsonValueSchema, textIssue } from "../../src/lib/json-limits.ts";
import { RequestRecordSchema } from "../../src/requests/records.ts";

function nested(depth: number, leaf: unknown = 0): unknown {
  let v = leaf;
  for (let d = 0; d < depth; d++) v = [v];
  return v;
}
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

describe("checkJson", () => {
  it("accepts every edge value and refuses one past it, with the path", () => {
    expect(checkJson(nested(64))).toBeNull();
    expect(checkJson(nested(65))).toEqual({ path: Array(64).fill(0), message: "nested deeper than 64 levels" });
    expect(checkJson(keys(1000))).toBeNull();
    expect(checkJson({ a: keys(1001) })).toEqual({ path: ["a"], message: "object has 1001 keys, over the limit of 1000" });
    expect(checkJson({ ["k".repeat(256)]: 1 })).toBeNull();
    expect(checkJson([{ ["k".repeat(257)]: 1 }])).toEqual({ path: [0], message: "a key of 257 characters, over the limit of 256" });
    expect(checkJson("s".repeat(JSON_LIMITS.maxStringLength))).toBeNull();
    expect(checkJson(["s".repeat(JSON_LIMITS.maxStringLength + 1)])?.path).toEqual([0]);
    expect(checkJson(Array(100_000 - 1).fill(0))).toBeNull();
    expect(checkJson(Array(100_000).fill(0))?.message).toBe("more than 100000 values in all");
    expect(checkJson({ n: [1, Infinity] })).toEqual({ path: ["n", 1], message: "number is not finite (too large for a double, e.g. 1e400)" });
    expect(checkJson(JSON.parse('{"x":-1e400}'))?.path).toEqual(["x"]);
    expect(checkJson(NaN)?.path).toEqual([]);
  });

  it("well-formed Unicode: pairs, NUL, U+2028 and emoji pass; lone surrogates (in values and keys) do not", () => {
    expect(checkJson({ "\u0000\u2028": ["a\u0000b", "\u2029", "\ud83d\ude00", "\uffff"] })).toBeNull();
    for (const lone of ["\ud800", "a\udfff", "\ud83d", "\ude00x", "\udc00\ud800"]) {
      expect(checkJson({ v: lone })?.message, JSON.stringify(lone)).toBe("string is not well-formed Unicode (lone surrogate)");
      expect(checkJson({ [lone]: 1 })?.message).toBe("a key is not well-formed Unicode (lone surrogate)");
      expect(isWellFormed(lone)).toBe(false);
    }
    expect(isWellFormed("\ud83d\ude00\ud83d\ude00")).toBe(true);
  });

  it("reports the first issue in document order", () => {
    expect(checkJson([1, { b: Infinity }, "\ud800"])?.path).toEqual([1, "b"]);
  });

  it("never throws: cycles, exotic objects, throwing getters, revoked proxies, non-JSON types", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const getter = Object.defineProperty({}, "x", {
      enumerable: true,
      get: () => {
        throw new Error("boom");
      },
    });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const v of [cycle, getter, proxy, undefined, () => 1, Symbol("s"), 10n, new Date(), new Map(), [undefined], { a: undefined }]) {
      const issue = checkJson(v);
      expect(issue, String(typeof v)).not.toBeNull();
      expect(typeof issue!.message).toBe("string");
    }
    expect(checkJson(nested(1_000_000))?.message).toBe("nested deeper than 64 levels");
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), (v) => {
        const issue = checkJson(v);
        expect(issue === null || typeof issue.message === "string").toBe(true);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it("whatever it accepts survives JSON text unchanged (so it crosses a batch)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5, stringUnit: "binary" }), (v) => {
        expect(checkJson(v)).toBeNull();
        const text = JSON.stringify(v);
        const back = JSON.parse(text) as unknown;
        expect(checkJson(back)).toBeNull();
        expect(JSON.stringify(back)).toBe(text);
        // The text is well-formed, so UTF-8 (a batch line, SQLite) holds it exactly.
        expect(new TextDecoder().decode(new TextEncoder().encode(text))).toBe(text);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it("the zod schema and the record schema use it (never a RangeError)", () => {
    const deep = JSON.parse("[".repeat(5000) + "]".repeat(5000));
    const r = jsonValueSchema().safeParse({ a: deep });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ code: "custom", path: ["a", ...Array(63).fill(0)], message: "nested deeper than 64 levels" });
    const record = { id: "req_1", user_id: "usr_1", api_key_id: null, topic: "t", body: deep, priority: 0, created_at: "2026-01-01T00:00:00.000Z", cancelled_at: null, version: 1 };
    const parsed = RequestRecordSchema.safeParse(record);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0].path.slice(0, 2)).toEqual(["body", 0]);
    expect(RequestRecordSchema.safeParse({ ...record, body: { ok: ["\u0000", "\u2028"] } }).success).toBe(true);
    expect(jsonValueSchema().safeParse(undefined).success).toBe(false);
  });

  it("pointers escape ~ and /; text rules", () => {
    expect(jsonPointer(["a/b", "c~d", 0], "/body")).toBe("/body/a~1b/c~0d/0");
    expect(textIssue("line one\nline two\ttab")).toBeNull();
    expect(textIssue("nul\u0000")).toMatch(/control characters/);
    expect(textIssue("a\nb", { line: true })).toMatch(/line breaks/);
    expect(textIssue("a\u2028b", { line: true })).toMatch(/line breaks/);
    expect(textIssue("c1\u0085", { line: true })).toMatch(/control/);
    expect(textIssue("\ud800")).toMatch(/lone surrogate/);
    expect(textIssue("m\u00e9t\u00e9o \ud83d\udc69\u200d\ud83d\udd2c", { line: true })).toBeNull();
  });
});
