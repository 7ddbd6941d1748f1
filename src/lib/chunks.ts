const enc = new TextEncoder();

/** JSON per statement: well below D1's 1 MB per string (the SQL itself stays small). */
export const CHUNK_BYTES = 500_000;

/**
 * Splits rows into JSON arrays of at most `maxBytes` UTF-8 bytes, each bound as
 * ONE parameter and unpacked with json_each (D1: 100 bound parameters and
 * 100 KB of SQL per statement). A bigger row gets a chunk of its own.
 */
export function jsonChunks(rows: readonly unknown[], maxBytes = CHUNK_BYTES): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const row of rows) {
    const text = JSON.stringify(row);
    const bytes = enc.encode(text).length + 1;
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
