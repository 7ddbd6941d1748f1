// Body lines and statement chunks, the two per-record steps of every export and import: the
// envelope check that skips zod in the common case must give zod's verdict (and message) on
// anything unusual, and chunks must stay within their byte bound.
import { describe, expect, it } from "vitest";
import { encodeRecordLine, parseRecords } from "../../src/transfer/batch/records.ts";
import { recordSchema } from "../../src/transfer/batch/manifest.ts";
import { CHUNK_BYTES, jsonChunks, tupleChunks } from "../../src/lib/chunks.ts";
import { utf8Length } from "../../src/lib/text.ts";

const enc = new TextEncoder();
const body = (lines: string[]) => enc.encode(lines.map((l) => `${l}\n`).join(""));

// Lines the fast path must hand to zod, each with what zod says about it.
const unusual: Array<[string, string]> = [
  ["extra envelope key", '{"kind":"user","id":"u1","version":1,"data":{},"extra":1}'],
  ["kind not a name", '{"kind":"9user","id":"u1","version":1,"data":{}}'],
  ["empty id", '{"kind":"user","id":"","version":1,"data":{}}'],
  ["id too long", `{"kind":"user","id":"${"x".repeat(257)}","version":1,"data":{}}`],
  ["version a string", '{"kind":"user","id":"u1","version":"1","data":{}}'],
  ["schema 0", '{"kind":"user","id":"u1","version":1,"schema":0,"data":{}}'],
  ["schema not an integer", '{"kind":"user","id":"u1","version":1,"schema":1.5,"data":{}}'],
  ["data an array", '{"kind":"user","id":"u1","version":1,"data":[]}'],
  ["data null", '{"kind":"user","id":"u1","version":1,"data":null}'],
  ["no data", '{"kind":"user","id":"u1","version":1}'],
  ["an array", "[1,2]"],
];
// Lines zod accepts that the fast path leaves to zod anyway (keys zod treats specially).
const special: Array<[string, string]> = [
  ["data with __proto__", '{"kind":"user","id":"u1","version":1,"data":{"__proto__":{"x":1},"a":2}}'],
  ["data with constructor", '{"kind":"user","id":"u1","version":1,"data":{"constructor":{"prototype":1}}}'],
  ["envelope with __proto__", '{"__proto__":{},"kind":"user","id":"u1","version":1,"data":{}}'],
];

describe("record lines", () => {
  it("reads ordinary lines to the same records zod gives, with counts", () => {
    const lines = [
      '{"kind":"user","id":"u1","version":2,"schema":1,"data":{"email":"ünï@example.org","n":null,"nested":{"a":[1,2]}}}',
      '{"version":1,"id":"r1","kind":"request","data":{}}',
      `{"kind":"audit","id":"a${"z".repeat(255)}","version":1.5,"schema":1000000,"data":{"x":true}}`,
    ];
    const r = parseRecords(body(lines), 10);
    expect(r).toEqual({ ok: true, records: lines.map((l) => recordSchema.parse(JSON.parse(l))), counts: { user: 1, request: 1, audit: 1 } });
  });

  for (const [name, line] of [...unusual, ...special]) {
    it(`gives zod's verdict on a line with ${name}`, () => {
      const z = recordSchema.safeParse(JSON.parse(line));
      const r = parseRecords(body(['{"kind":"user","id":"u0","version":1,"data":{}}', line]), 10);
      if (z.success) {
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.records[1]).toEqual(z.data);
      } else {
        expect(r).toMatchObject({ ok: false, code: "bad_record" });
        if (!r.ok) expect(r.reason).toMatch(/^body line 2 .*is not a record envelope/);
      }
      // The writer refuses exactly what the reader refuses.
      if (z.success) expect(JSON.parse(encodeRecordLine(JSON.parse(line)))).toEqual(JSON.parse(encodeRecordLine(z.data)));
      else expect(() => encodeRecordLine(JSON.parse(line))).toThrow(/is not a valid batch record/);
    });
  }

  it("writes the envelope fields in a fixed order, the schema only when set", () => {
    expect(encodeRecordLine({ data: { b: 1, a: 2 }, version: 3, id: "u1", kind: "user" })).toBe('{"kind":"user","id":"u1","version":3,"data":{"b":1,"a":2}}');
    expect(encodeRecordLine({ kind: "user", id: "u1", version: 3, schema: 2, data: {} })).toBe('{"kind":"user","id":"u1","version":3,"schema":2,"data":{}}');
  });
});

describe("statement chunks", () => {
  const rows = Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, name: i % 3 ? "ascii only" : "ünïcode ✓ 𝄞", pad: "p".repeat(i % 50), n: i, none: null }));

  for (const [name, chunk] of [
    ["objects (jsonChunks)", (max: number) => jsonChunks(rows, max)],
    ["arrays (tupleChunks)", (max: number) => tupleChunks(rows, ["id", "name", "pad", "n", "none"], max)],
  ] as const) {
    it(`${name}: every row once, in order, each chunk within its UTF-8 byte bound`, () => {
      const chunks = chunk(2_000);
      expect(chunks.length).toBeGreaterThan(5);
      for (const c of chunks) expect(utf8Length(c)).toBeLessThanOrEqual(2_000);
      expect(utf8Length(chunks[0])).toBe(enc.encode(chunks[0]).length);
      const back = chunks.flatMap((c) => JSON.parse(c) as unknown[]);
      expect(back).toEqual(name.startsWith("objects") ? rows : rows.map((r) => [r.id, r.name, r.pad, r.n, r.none]));
      expect(chunk(CHUNK_BYTES)).toHaveLength(1);
    });
  }

  it("gives a row larger than the bound a chunk of its own", () => {
    const big = { id: "big", pad: "é".repeat(1_000) };
    const chunks = tupleChunks([{ id: "a", pad: "" }, big, { id: "b", pad: "" }], ["id", "pad"], 500);
    expect(chunks.map((c) => JSON.parse(c))).toEqual([[["a", ""]], [["big", big.pad]], [["b", ""]]]);
  });
});
