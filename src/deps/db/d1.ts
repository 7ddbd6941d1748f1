import { drizzle } from "drizzle-orm/d1";
import * as schema from "../../../schema/index.ts";
import type { Database, Statement } from "./database.ts";
import { wrapOrm } from "./database.ts";

/**
 * D1 on Workers. Migrations are applied by `wrangler d1 migrations apply`.
 * `batch` goes to the binding directly: drizzle's D1 batch cannot bind raw
 * (`db.run(sql)`) statements, which the set-based import uses.
 */
export function d1Database(binding: D1Database): Database {
  const db = wrapOrm("d1", drizzle(binding, { schema }));
  return {
    ...db,
    async batch(statements: [Statement, ...Statement[]]) {
      const prepared = statements.map((st) => {
        const q = (st as unknown as { _prepare(): { getQuery(): { sql: string; params: unknown[] } } })._prepare().getQuery();
        return binding.prepare(q.sql).bind(...q.params);
      });
      return binding.batch(prepared);
    },
  };
}
