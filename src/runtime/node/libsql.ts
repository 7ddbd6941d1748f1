import { createClient, type Client } from "@libsql/client";
import Native from "libsql";
import { drizzle } from "drizzle-orm/libsql";
import * as schema from "../../../schema/index.ts";
import { statementCache, wrapOrm, type Database, type ReadStatement, type Statement } from "../../deps/db/database.ts";
import { applyMigrations, type Migration } from "../../deps/db/migrate.ts";
import { groupCommit, type GroupCommit } from "./group-commit.ts";

/** The file of a plain `file:` URL; null for in-memory databases, URLs with options, and servers. */
function filePath(url: string): string | null {
  if (!url.startsWith("file:") || url.includes(":memory:") || url.includes("?")) return null;
  return url.replace(/^file:(\/\/(localhost)?(?=\/))?/, "");
}

/**
 * Hot-path reads. On a file, a read-only connection of its own whose statements are prepared once:
 * @libsql/client prepares every statement again on every call and builds each row with
 * defineProperty, which cost several times the query. WAL mode lets it read while the client writes,
 * and every read sees what was committed before it started. Elsewhere (a server, memory) the client.
 */
function hotReads(client: Client, url: string): { prepareRead: Database["prepareRead"]; close(): void } {
  const path = filePath(url);
  if (!path) {
    return {
      prepareRead: <T>(sql: string): ReadStatement<T> => ({
        get: async (args) => {
          const rs = await client.execute({ sql, args: args as never });
          if (!rs.rows.length) return undefined;
          return Object.fromEntries(rs.columns.map((c, i) => [c, rs.rows[0][i]])) as T;
        },
        values: async (args) => {
          const rs = await client.execute({ sql, args: args as never });
          return rs.rows.map((row) => rs.columns.map((_, i) => row[i]));
        },
      }),
      close() {},
    };
  }
  let conn: Native.Database | null = null;
  const prepared = statementCache((sql) => {
    if (!conn) {
      conn = new Native(path);
      conn.exec("PRAGMA busy_timeout = 5000");
      conn.exec("PRAGMA query_only = ON");
    }
    return conn.prepare(sql);
  });
  return {
    prepareRead: <T>(sql: string): ReadStatement<T> => ({
      get: async (args) => (prepared(sql).get(args as unknown[]) as T | undefined) ?? undefined,
      values: async (args) => {
        // Raw mode is a property of the shared statement: set for this call only.
        const st = prepared(sql).raw(true);
        try {
          return st.all(args as unknown[]) as unknown[][];
        } finally {
          st.raw(false);
        }
      },
    }),
    close: () => conn?.close(),
  };
}

/** libSQL (an embedded file or a libSQL server) on Node and Deno. */
export async function libsqlDatabase(opts: {
  url: string;
  authToken?: string;
  migrations?: Migration[];
}): Promise<Database & { client: Client; groupCommit: GroupCommit["stats"] }> {
  const client = createClient({ url: opts.url, authToken: opts.authToken });
  if (opts.url.startsWith("file:")) {
    // Several processes/connections may share the file (tests, CLI): wait instead of failing.
    await client.execute("PRAGMA busy_timeout = 5000");
    await client.execute("PRAGMA journal_mode = WAL");
  }
  await client.execute("PRAGMA foreign_keys = ON");
  if (opts.migrations) await applyMigrations(client, opts.migrations);
  const reads = hotReads(client, opts.url);
  const orm = drizzle(client, { schema });
  // Concurrent requests' batches share one commit (one fsync): see group-commit.ts.
  const grouped = groupCommit((statements) => orm.batch(statements as [Statement, ...Statement[]]));
  const db = wrapOrm("libsql", orm, reads.prepareRead, async () => {
    await grouped.settled(); // what was handed in before closing is still written
    reads.close();
    client.close();
  });
  return { ...db, batch: grouped.batch, client, groupCommit: grouped.stats };
}
