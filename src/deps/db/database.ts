import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { BatchItem } from "drizzle-orm/batch";
import { sql } from "drizzle-orm";
import type * as schema from "../../../schema/index.ts";

export type Schema = typeof schema;
/** The drizzle API both drivers share (D1 and libSQL are both async SQLite). */
export type Orm = BaseSQLiteDatabase<"async", unknown, Schema>;
export type Statement = BatchItem<"sqlite">;

/** A read-only statement built once and run many times (hot paths): no SQL is built or parsed per call. */
export interface ReadStatement<T> {
  /** The first row (columns keyed by their alias), or undefined. */
  get(args: readonly unknown[]): Promise<T | undefined>;
  /**
   * Every row, each as the array of its column values in the SELECT's order: no object per row
   * (for reads of thousands of rows, where building each row's object cost more than reading it).
   */
  values(args: readonly unknown[]): Promise<unknown[][]>;
}

/** The database as the app sees it, whichever driver is underneath. */
export interface Database {
  readonly kind: "d1" | "libsql";
  readonly orm: Orm;
  /**
   * A statement prepared once per connection: plain SQL with `?` placeholders. For the few reads on
   * every request (principals, the response state row), where building SQL with drizzle and
   * re-preparing it per call cost more than the query itself, and the export's backlog.
   */
  prepareRead<T>(sql: string): ReadStatement<T>;
  /**
   * Runs statements atomically: all or nothing. D1 has no interactive
   * transactions, so every multi-statement write in Airlock goes through here.
   */
  batch(statements: [Statement, ...Statement[]]): Promise<unknown[]>;
  close(): Promise<void>;
}

/** The table D1 and wrangler use to record applied migrations; our libSQL migrator uses the same. */
export const MIGRATIONS_TABLE = "d1_migrations";

export async function ping(db: Database): Promise<void> {
  await db.orm.get(sql`select 1 as ok`);
}

/** The name of the newest applied migration, e.g. "0000_foundation". */
export async function schemaVersion(db: Database): Promise<string | null> {
  try {
    const row = await db.orm.get<{ name: string }>(sql.raw(`select name from ${MIGRATIONS_TABLE} order by id desc limit 1`));
    return row?.name?.replace(/\.sql$/, "") ?? null;
  } catch {
    return null; // no migrations table yet
  }
}

/** Wraps a driver's drizzle instance; both drivers implement `batch` the same way. */
export function wrapOrm(kind: Database["kind"], orm: unknown, prepareRead: Database["prepareRead"], close: () => Promise<void> = async () => {}): Database {
  const o = orm as Orm & { batch(items: Statement[]): Promise<unknown[]> };
  return { kind, orm: o, prepareRead, batch: (s) => o.batch(s), close };
}

/** One prepared statement per SQL text, made on first use (the texts are constants, so the map stays small). */
export function statementCache<S>(make: (sql: string) => S): (sql: string) => S {
  const made = new Map<string, S>();
  return (sql) => {
    let st = made.get(sql);
    if (!st) {
      st = make(sql);
      made.set(sql, st);
    }
    return st;
  };
}
