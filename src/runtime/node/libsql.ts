import { createClient, type Client } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import * as schema from "../../../schema/index.ts";
import { wrapOrm, type Database } from "../../deps/db/database.ts";
import { applyMigrations, type Migration } from "../../deps/db/migrate.ts";

/** libSQL (an embedded file or a libSQL server) on Node and Deno. */
export async function libsqlDatabase(opts: { url: string; authToken?: string; migrations?: Migration[] }): Promise<Database & { client: Client }> {
  const client = createClient({ url: opts.url, authToken: opts.authToken });
  if (opts.url.startsWith("file:")) {
    // Several processes/connections may share the file (tests, CLI): wait instead of failing.
    await client.execute("PRAGMA busy_timeout = 5000");
    await client.execute("PRAGMA journal_mode = WAL");
  }
  await client.execute("PRAGMA foreign_keys = ON");
  if (opts.migrations) await applyMigrations(client, opts.migrations);
  const db = wrapOrm("libsql", drizzle(client, { schema }), async () => client.close());
  return Object.assign(db, { client });
}
