import { drizzle } from "drizzle-orm/d1";
import * as schema from "../../../schema/index.ts";
import type { Database, ReadStatement, Statement } from "./database.ts";
import { statementCache, wrapOrm } from "./database.ts";

/**
 * D1 on Workers. Migrations are applied by `wrangler d1 migrations apply`.
 * `batch` goes to the binding directly: drizzle's D1 batch cannot bind raw
 * (`db.run(sql)`) statements, which the set-based import uses.
 */
export function d1Database(binding: D1Database): Database {
  // A D1 statement is a plain object over the binding: prepared once per isolate, bound per call.
  const prepared = statementCache((text) => binding.prepare(text));
  const db = wrapOrm("d1", drizzle(binding, { schema }), <T>(text: string): ReadStatement<T> => {
    const st = prepared(text);
    return { get: async (args) => (await st.bind(...args).first<T>()) ?? undefined, values: (args) => st.bind(...args).raw() };
  });
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
