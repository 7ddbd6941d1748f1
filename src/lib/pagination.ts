import { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, lt, or, type Column, type SQL } from "drizzle-orm";
import { base64url } from "./crypto.ts";

/** `?limit=&cursor=` on every list. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "Page size (1–200)" }),
  cursor: z.string().max(512).optional().openapi({ description: "next_cursor from the previous page" }),
});

/** What a list is asked for: a page size and where the previous page ended. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** A cursor that is not one this list handed out (the HTTP layer answers validation_failed). */
export class InvalidCursorError extends Error {
  constructor() {
    super("the cursor is not valid");
    this.name = "InvalidCursorError";
  }
}

/** Cursors are opaque to clients: base64url of the last item's sort key. */
export function encodeCursor(key: Record<string, string | number>): string {
  return base64url(new TextEncoder().encode(JSON.stringify(key)));
}

export function decodeCursor<T extends Record<string, string | number>>(cursor: string | undefined, shape: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    return shape.parse(JSON.parse(json));
  } catch {
    throw new InvalidCursorError();
  }
}

/** Fetches limit+1 rows to know whether there is a next page. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => Record<string, string | number>): Page<T> {
  const items = rows.slice(0, limit);
  const next_cursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items, next_cursor };
}

export const listSchema = <T extends z.ZodTypeAny>(item: T, name: string) => z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);

/** One column of a list's sort order; the last one must make the order total (usually the id). */
export interface SortKey<T> {
  /** The key's name in the cursor. */
  name: string;
  column: Column;
  order: "asc" | "desc";
  /** What the cursor may hold for this key. */
  cursor: z.ZodType<string | number>;
  /** The key's value in a row. */
  of: (row: T) => string | number;
}

/**
 * Keyset pagination over a fixed sort order: the cursor is the last item's sort
 * key, and the next page is the rows strictly after it in that order
 * (`a > x OR (a = x AND (b > y OR …))`, with < for descending keys), so pages
 * stay stable while rows are added and no OFFSET is ever scanned.
 */
export function keyset<T>(keys: [SortKey<T>, ...SortKey<T>[]]) {
  const shape = z.object(Object.fromEntries(keys.map((k) => [k.name, k.cursor]))) as unknown as z.ZodType<Record<string, string | number>>;
  const orderBy: SQL[] = keys.map((k) => (k.order === "asc" ? asc(k.column) : desc(k.column)));
  const beyond = (k: SortKey<T>, v: string | number) => (k.order === "asc" ? gt(k.column, v) : lt(k.column, v));
  const after = (cursor: Record<string, string | number>, i = 0): SQL | undefined => {
    const k = keys[i];
    const v = cursor[k.name];
    return i === keys.length - 1 ? beyond(k, v) : or(beyond(k, v), and(eq(k.column, v), after(cursor, i + 1)));
  };
  return {
    orderBy,
    /**
     * Decodes the cursor (InvalidCursorError when it is not this list's), lets `fetch` read up to
     * `limit` rows matching `after` (undefined on the first page) in `orderBy`, and pages them.
     */
    async list(req: PageRequest, fetch: (q: { after: SQL | undefined; orderBy: SQL[]; limit: number }) => Promise<T[]>): Promise<Page<T>> {
      const cursor = decodeCursor(req.cursor, shape);
      const rows = await fetch({ after: cursor && after(cursor), orderBy, limit: req.limit + 1 });
      return page(rows, req.limit, (r) => Object.fromEntries(keys.map((k) => [k.name, k.of(r)])));
    },
  };
}
