/**
 * Splits rows into JSON texts small enough for one bound parameter (D1: 1 MB
 * per string, 100 KB per SQL statement — the SQL stays small because the rows
 * travel as one parameter and are unpacked with json_each).
 */
export function jsonChunks(rows: unknown[], maxChars = 400_000): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const r of rows) {
    const text = JSON.stringify(r);
    if (current.length && size + text.length + 1 > maxChars) {
      out.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(text);
    size += text.length + 1;
  }
  if (current.length) out.push(`[${current.join(",")}]`);
  return out;
}
