import type { Child } from "hono/jsx";

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  /** Right-aligned (counts, sizes). */
  numeric?: boolean;
}

/**
 * A data table with a caption, in a scrolling region that takes keyboard focus, so a wide table
 * stays readable at 360 px; `empty` is shown instead when there are no rows.
 */
export function Table<T>(p: { caption: string; columns: Column<T>[]; rows: T[]; empty: string }) {
  if (!p.rows.length) return <p class="empty">{p.empty}</p>;
  return (
    // A scrolling region must be reachable by keyboard, hence the tabindex.
    <section class="table-wrap" aria-label={p.caption} tabindex={0}>
      <table>
        <caption>{p.caption}</caption>
        <thead>
          <tr>
            {p.columns.map((col) => (
              <th scope="col" class={col.numeric ? "num" : undefined}>
                {col.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {p.rows.map((row) => (
            <tr>
              {p.columns.map((col) => (
                <td class={col.numeric ? "num" : undefined}>{col.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** `path?…` with the given parameters, empty ones left out. */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Keyset paging (src/lib/pagination.ts): "Next page" carries the list's `next_cursor` with the
 * current filters; a cursor only goes forward, so the way back is "First page". A page with
 * several lists gives each its own cursor parameter (`name`, default "cursor") and `label`.
 */
export function Pager(p: { path: string; params: Record<string, string | undefined>; cursor?: string; next: string | null; name?: string; label?: string }) {
  if (!p.cursor && !p.next) return null;
  const name = p.name ?? "cursor";
  return (
    <nav class="pager" aria-label={p.label ?? "Pages"}>
      {p.cursor && (
        <a class="button secondary" href={withQuery(p.path, { ...p.params, [name]: undefined })}>
          First page
        </a>
      )}
      {p.next && (
        <a class="button secondary" href={withQuery(p.path, { ...p.params, [name]: p.next })} rel="next">
          Next page
        </a>
      )}
    </nav>
  );
}
