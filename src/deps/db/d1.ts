import { drizzle } from "drizzle-orm/d1";
import * as schema from "../../../schema/index.ts";
import { wrapOrm, type Database } from "./database.ts";

/** D1 on Workers. Migrations are applied by `wrangler d1 migrations apply`. */
export function d1Database(binding: D1Database): Database {
  return wrapOrm("d1", drizzle(binding, { schema }));
}
