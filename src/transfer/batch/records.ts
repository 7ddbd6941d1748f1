/** The body's JSONL: one record envelope per line, every line ending in "\n". */
import { describeIssues } from "../../lib/zod-issues.ts";
import { recordSchema, type BatchRecord } from "./manifest.ts";

/** Serialises one record as its body line (without the newline), envelope fields in a fixed order. Throws naming the record. */
export function encodeRecordLine(record: BatchRecord): string {
  const parsed = recordSchema.safeParse(record);
  if (!parsed.success) throw new Error(`record ${describeRecord(record)} is not a valid batch record: ${describeIssues(parsed.error)}`);
  const { kind, id, version, schema, data } = parsed.data;
  return JSON.stringify(schema === undefined ? { kind, id, version, data } : { kind, id, version, schema, data });
}

/** UTF-8 length of a string without allocating the encoded bytes. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // surrogate pair
      i++;
    } else n += 3; // BMP, or a lone surrogate (encoded as U+FFFD)
  }
  return n;
}

export function describeRecord(r: { kind?: unknown; id?: unknown } | null | undefined): string {
  const kind = typeof r?.kind === "string" ? r.kind : "?";
  const id = typeof r?.id === "string" ? r.id : "?";
  return `${kind}/${id}`;
}

export type ParseResult = { ok: true; records: BatchRecord[]; counts: Record<string, number> } | { ok: false; code: "bad_record" | "record_limit"; reason: string };

/** Parses the inflated body. Never throws; stops at the first bad line. */
export function parseRecords(raw: Uint8Array, maxRecords: number): ParseResult {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return { ok: false, code: "bad_record", reason: "the body is not valid UTF-8" };
  }
  const records: BatchRecord[] = [];
  const counts: Record<string, number> = {};
  if (text.length === 0) return { ok: true, records, counts };
  if (!text.endsWith("\n")) return { ok: false, code: "bad_record", reason: "the last body line has no newline (truncated body?)" };
  const lines = text.slice(0, -1).split("\n");
  if (lines.length > maxRecords) return { ok: false, code: "record_limit", reason: `the body has ${lines.length} records; the limit is ${maxRecords}` };
  for (let i = 0; i < lines.length; i++) {
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch {
      return { ok: false, code: "bad_record", reason: `body line ${i + 1} is not JSON` };
    }
    const parsed = recordSchema.safeParse(value);
    if (!parsed.success) {
      const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
      const which = isObject ? ` (record ${describeRecord(value as { kind?: unknown; id?: unknown })})` : "";
      const why = isObject ? describeIssues(parsed.error) : `expected an object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`;
      return { ok: false, code: "bad_record", reason: `body line ${i + 1}${which} is not a record envelope {kind, id, version, data}: ${why}` };
    }
    records.push(parsed.data);
    counts[parsed.data.kind] = (counts[parsed.data.kind] ?? 0) + 1;
  }
  return { ok: true, records, counts };
}
