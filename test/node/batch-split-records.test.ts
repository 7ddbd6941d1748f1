// splitRecords: how an export's records are cut into batches by count and by raw bytes.
import { describe, expect, it } from "vitest";
import { ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import type { BatchRecord } from "../../src/transfer/batch/manifest.ts";
import { splitRecords } from "../../src/transfer/batch/write.ts";
import { encodeRecordLine, storedRecordLine, type StoredRecord } from "../../src/transfer/batch/records.ts";
import { build, enc, useBatchKeys, verify } from "../helpers/batches.ts";

useBatchKeys();

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

describe("storedRecordLine", () => {
  const data = { id: "usr_1", name: 'Zoë \u2028 "quoted"', n: 1.5, nested: { a: [1, null, true] }, empty: {} };
  const stored = (over: Partial<StoredRecord> = {}): StoredRecord => ({ kind: "user", id: "usr_1", version: 3, schema: 1, json: JSON.stringify(data), objectJson: true, ...over });

  it("writes the same bytes as encodeRecordLine for a payload JSON.stringify wrote", () => {
    expect(storedRecordLine(stored())).toBe(encodeRecordLine({ kind: "user", id: "usr_1", version: 3, schema: 1, data }));
    expect(storedRecordLine(stored({ id: 'odd "id" \\ é', version: -0 }))).toBe(encodeRecordLine({ kind: "user", id: 'odd "id" \\ é', version: -0, schema: 1, data }));
  });

  it("declines (null) whatever it cannot vouch for, leaving it to the parse-and-encode path", () => {
    expect(storedRecordLine(stored({ objectJson: false }))).toBeNull();
    expect(storedRecordLine(stored({ json: '{"a":\n1}' }))).toBeNull();
    expect(storedRecordLine(stored({ json: "[1]" }))).toBeNull();
    expect(storedRecordLine(stored({ kind: "1bad" }))).toBeNull();
    expect(storedRecordLine(stored({ id: "" }))).toBeNull();
    expect(storedRecordLine(stored({ id: "x".repeat(257) }))).toBeNull();
    expect(storedRecordLine(stored({ version: Number.NaN }))).toBeNull();
    expect(storedRecordLine(stored({ schema: 0 }))).toBeNull();
  });
});
