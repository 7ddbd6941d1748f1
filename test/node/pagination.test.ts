import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { requests } from "../../schema/index.ts";
import { InvalidCursorError, decodeCursor, encodeCursor, keyset } from "../../src/lib/pagination.ts";

type Row = { priority: number; createdAt: string; id: string };
const dialect = new SQLiteSyncDialect();
const render = (q: SQL | undefined) => (q ? dialect.sqlToQuery(q) : undefined);

// The queue's order: most urgent first, then oldest, then by id.
const order = keyset<Row>([
  { name: "p", column: requests.priority, order: "desc", cursor: z.number(), of: (r) => r.priority },
  { name: "c", column: requests.createdAt, order: "asc", cursor: z.string(), of: (r) => r.createdAt },
  { name: "i", column: requests.id, order: "asc", cursor: z.string(), of: (r) => r.id },
]);
const rows: Row[] = [
  { priority: 9, createdAt: "2026-01-01T00:00:00.000Z", id: "req_a" },
  { priority: 9, createdAt: "2026-01-02T00:00:00.000Z", id: "req_b" },
  { priority: 0, createdAt: "2026-01-01T00:00:00.000Z", id: "req_c" },
];

describe("keyset pagination", () => {
  it("asks for one row more than the page, and the cursor is the last item's sort key", async () => {
    const seen: Array<{ after: SQL | undefined; limit: number }> = [];
    const first = await order.list({ limit: 2 }, async (q) => {
      seen.push(q);
      return rows.slice(0, q.limit);
    });
    expect(seen[0].limit).toBe(3);
    expect(seen[0].after).toBeUndefined();
    expect(first.items.map((r) => r.id)).toEqual(["req_a", "req_b"]);
    expect(decodeCursor(first.next_cursor!, z.object({ p: z.number(), c: z.string(), i: z.string() }))).toEqual({ p: 9, c: "2026-01-02T00:00:00.000Z", i: "req_b" });
    const last = await order.list({ limit: 2, cursor: first.next_cursor! }, async (q) => {
      seen.push(q);
      return rows.slice(2);
    });
    expect(last).toEqual({ items: [rows[2]], next_cursor: null });
    // Strictly after (9, 2026-01-02, req_b) in (priority desc, created_at asc, id asc).
    const after = render(seen[1].after)!;
    expect(after.sql.replace(/"requests"\./g, "")).toBe('("priority" < ? or ("priority" = ? and ("created_at" > ? or ("created_at" = ? and "id" > ?))))');
    expect(after.params).toEqual([9, 9, "2026-01-02T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "req_b"]);
    expect(order.orderBy.map((o) => dialect.sqlToQuery(o).sql.replace(/"requests"\./g, ""))).toEqual(['"priority" desc', '"created_at" asc', '"id" asc']);
  });

  it("refuses a cursor that is not one of this list's", async () => {
    const fetch = async () => rows;
    await expect(order.list({ limit: 2, cursor: "garbage" }, fetch)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(order.list({ limit: 2, cursor: encodeCursor({ s: 1 }) }, fetch)).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
