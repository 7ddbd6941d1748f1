/** The body's JSONL: one record envelope per line, every line ending in "\n". */
import { describeIssues } from "../../lib/zod-issues.ts";
import { utf8Length } from "../../lib/text.ts";
import { KIND_NAME, recordSchema, type BatchRecord } from "./manifest.ts";

export { utf8Length };

const ENVELOPE_KEYS = new Set(["kind", "id", "version", "schema", "data"]);

/**
 * A plain object whose keys zod would copy as they are (no "__proto__", no own "constructor", no
 * symbols). `parsed`: straight from JSON.parse, which makes neither symbols nor other prototypes.
 */
function plain(v: unknown, parsed: boolean): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || Object.hasOwn(v, "__proto__") || Object.hasOwn(v, "constructor")) return false;
  if (parsed) return true;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(v).length === 0;
}

/**
 * The common case of `recordSchema` without zod: every record of a batch goes through here (on
 * export and import), and zod's object walk was a large share of both. Returns the value itself
 * when it certainly satisfies the schema; null sends the caller to zod, for the same verdict and
 * its message (so anything unusual is judged by the schema alone).
 */
function envelopeOf(v: unknown, parsed: boolean): BatchRecord | null {
  if (!plain(v, parsed)) return null;
  for (const k in v) if (!ENVELOPE_KEYS.has(k)) return null;
  const { kind, id, version, schema, data } = v;
  if (typeof kind !== "string" || !KIND_NAME.test(kind)) return null;
  if (typeof id !== "string" || id.length < 1 || id.length > 256) return null;
  if (typeof version !== "number" || !Number.isFinite(version)) return null;
  if (schema !== undefined && !(Number.isSafeInteger(schema) && (schema as number) >= 1 && (schema as number) <= 1_000_000)) return null;
  if (!plain(data, parsed)) return null;
  return v as BatchRecord;
}

/** Serialises one record as its body line (without the newline), envelope fields in a fixed order. Throws naming the record. */
export function encodeRecordLine(record: BatchRecord): string {
  let valid = envelopeOf(record, false);
  if (!valid) {
    const parsed = recordSchema.safeParse(record);
    if (!parsed.success) throw new Error(`record ${describeRecord(record)} is not a valid batch record: ${describeIssues(parsed.error)}`);
    valid = parsed.data;
  }
  const { kind, id, version, schema, data } = valid;
  return JSON.stringify(schema === undefined ? { kind, id, version, data } : { kind, id, version, schema, data });
}

/** A record whose data is JSON text already (an outbox payload), with the checks that text passed where it is stored. */
export interface StoredRecord {
  kind: string;
  id: string;
  version: number;
  schema: number;
  /** The data as JSON text. */
  json: string;
  /** The store vouched that `json` is valid JSON, starts with "{" (so is an object) and has no newline. */
  objectJson: boolean;
}

/**
 * The body line of a stored record, written around its JSON text instead of parsing and writing it
 * again: byte for byte what encodeRecordLine writes when the text is JSON.stringify's, as the
 * outbox's is. Null when anything is unusual (the caller then parses it and uses encodeRecordLine).
 */
export function storedRecordLine(r: StoredRecord): string | null {
  if (!r.objectJson || r.json.charCodeAt(0) !== 0x7b || r.json.includes("\n")) return null;
  if (typeof r.kind !== "string" || typeof r.id !== "string" || typeof r.version !== "number") return null;
  if (!KIND_NAME.test(r.kind) || r.id.length < 1 || r.id.length > 256 || !Number.isFinite(r.version)) return null;
  if (!(Number.isSafeInteger(r.schema) && r.schema >= 1 && r.schema <= 1_000_000)) return null;
  return `{"kind":${JSON.stringify(r.kind)},"id":${JSON.stringify(r.id)},"version":${JSON.stringify(r.version)},"schema":${r.schema},"data":${r.json}}`;
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
  let count = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  if (count > maxRecords) return { ok: false, code: "record_limit", reason: `the body has ${count} records; the limit is ${maxRecords}` };
  // Line by line from the text, without an array of every line beside the records.
  for (let i = 0, start = 0; i < count; i++) {
    const end = text.indexOf("\n", start);
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start, end));
    } catch {
      return { ok: false, code: "bad_record", reason: `body line ${i + 1} is not JSON` };
    }
    start = end + 1;
    const fast = envelopeOf(value, true);
    if (fast) {
      records.push(fast);
      counts[fast.kind] = (counts[fast.kind] ?? 0) + 1;
      continue;
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
