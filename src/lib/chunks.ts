import { utf8Length } from "./text.ts";

/** JSON per statement: well below D1's 1 MB per string (the SQL itself stays small). */
export const CHUNK_BYTES = 500_000;

/** Packs JSON texts into JSON arrays of at most `maxBytes` UTF-8 bytes; a bigger text gets an array of its own. */
function pack(texts: Iterable<string>, maxBytes: number): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const text of texts) {
    const bytes = utf8Length(text) + 1;
    if (parts.length && size + bytes > maxBytes) {
      out.push(`[${parts.join(",")}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += bytes;
  }
  if (parts.length) out.push(`[${parts.join(",")}]`);
  return out;
}

/**
 * Splits rows into JSON arrays of at most `maxBytes` UTF-8 bytes, each bound as
 * ONE parameter and unpacked with json_each (D1: 100 bound parameters and
 * 100 KB of SQL per statement). A bigger row gets a chunk of its own.
 */
export function jsonChunks(rows: readonly unknown[], maxBytes = CHUNK_BYTES): string[] {
  return pack(
    rows.map((r) => JSON.stringify(r)),
    maxBytes,
  );
}

/**
 * The same, each row written as the JSON array of its `fields` in that order (read back with
 * `json_extract(value, '$[i]')`): no field names repeated per row, so less to write and for
 * SQLite to parse, which matters for the kinds that arrive by the thousand.
 */
export function tupleChunks<T>(rows: readonly T[], fields: readonly (keyof T)[], maxBytes = CHUNK_BYTES): string[] {
  return pack(
    rows.map((r) => JSON.stringify(fields.map((f) => r[f]))),
    maxBytes,
  );
}
