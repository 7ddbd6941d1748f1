// What the appliers of both networks (apply-response-network.ts, apply-request-network.ts) share:
// statements from drizzle's sql, fields of the JSON record being read (`r.value` of json_each),
// the role check and the merge to the highest version per key.
import { sql, type SQL } from "drizzle-orm";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";

export const raw = (s: Services, q: SQL): Statement => s.db.orm.run(q);
export const j = (field: string) => sql.raw(`json_extract(r.value, '$.${field}')`);

export function expectRole(s: Services, role: "request" | "response", what: string) {
  if (s.config.role !== role) throw new Error(`${what} runs on the ${role} network (this is the ${s.config.role} network)`);
}

/** Highest version per key. */
export function latest<T extends { version: number }>(records: T[], keyOf: (r: T) => string): T[] {
  const by = new Map<string, T>();
  for (const r of records) {
    const k = keyOf(r);
    const cur = by.get(k);
    if (!cur || r.version > cur.version) by.set(k, r);
  }
  return [...by.values()];
}
