import { z } from "@hono/zod-openapi";
import { ApiError } from "../errors.ts";
import { base64url } from "./crypto.ts";

/** `?limit=&cursor=` on every list. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "Page size (1–200)" }),
  cursor: z.string().max(512).optional().openapi({ description: "next_cursor from the previous page" }),
});

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
    throw new ApiError("validation_failed", { detail: "the cursor is not valid", errors: [{ parameter: "cursor", detail: "not a cursor from this list" }] });
  }
}

/** Fetches limit+1 rows to know whether there is a next page. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => Record<string, string | number>) {
  const items = rows.slice(0, limit);
  const next_cursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items, next_cursor };
}

export const listSchema = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
