import { sql, type SQL } from "drizzle-orm";
import { batchGuard } from "../../../schema/index.ts";
import type { Database, Statement } from "./database.ts";

/**
 * Statements that abort their atomic batch unless `condition` (an SQL boolean
 * expression) holds when they run: the row's CHECK (ok = 1) fails otherwise.
 * The second statement empties the table again. Put them first in the batch.
 * (Query builders, not raw SQL: drizzle's D1 batch cannot bind raw statements.)
 */
export function guard(db: Database, condition: SQL): [Statement, Statement] {
  return [db.orm.insert(batchGuard).values({ ok: sql`(CASE WHEN ${condition} THEN 1 ELSE 0 END)` }), db.orm.delete(batchGuard)];
}

/** Whether an error is a failed guard (the batch was rolled back whole). */
export function isGuardFailure(e: unknown): boolean {
  const text = `${(e as Error)?.message ?? e} ${(e as { cause?: Error })?.cause?.message ?? ""}`;
  return /batch_guard_failed|CHECK constraint failed/i.test(text);
}
