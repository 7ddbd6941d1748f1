import type { Client } from "@libsql/client";
import { MIGRATIONS_TABLE } from "./database.ts";
import { splitStatements } from "./sql-statements.ts";

export interface Migration {
  /** File name, e.g. "0000_foundation.sql" — the same name wrangler records on D1. */
  name: string;
  sql: string;
}

const BREAKPOINT = "--> statement-breakpoint";
const bare = (name: string) => name.replace(/\.sql$/, "");

/**
 * A migration's statements: split where drizzle-kit marks the breakpoints, then each piece at its
 * statements' ends as wrangler splits a file for D1 (a hand-written piece may hold several, and
 * libSQL would silently run only the first; trigger bodies stay whole).
 */
export function migrationStatements(m: Migration): string[] {
  return m.sql.split(BREAKPOINT).flatMap(splitStatements);
}

/**
 * The database was migrated by a build that knows migrations this one does not: running on it
 * could misread or damage data written in the newer shape, so this build refuses to touch it.
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly databaseSchema: string,
    readonly buildSchema: string | null,
    readonly unknown: string[],
  ) {
    super(
      `the database's schema (${databaseSchema}) is newer than this build of Airlock knows (newest: ${buildSchema ?? "none"}; ` +
        `unknown: ${unknown.join(", ")}). It was migrated by a newer release: run that release (or a newer one), or roll back ` +
        `by restoring the backup written before that migration (docs/operations.md, "Rolling back").`,
    );
    this.name = "SchemaTooNewError";
  }
}

export interface MigrationState {
  /** Names recorded in the migrations table, in the order they were applied. */
  applied: string[];
  /** This build's migrations not yet applied, in order. */
  pending: Migration[];
  /** Newest applied migration without ".sql" (what /v1/meta reports), null on an empty database. */
  schema: string | null;
  /** Newest migration this build knows, without ".sql". */
  buildSchema: string | null;
}

const sorted = (migrations: Migration[]) => [...migrations].sort((a, b) => a.name.localeCompare(b.name));

/** What is applied and what is pending; throws SchemaTooNewError when the database knows more than this build. */
export async function migrationState(client: Client, migrations: Migration[]): Promise<MigrationState> {
  const table = await client.execute({ sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", args: [MIGRATIONS_TABLE] });
  const applied = table.rows.length ? (await client.execute(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`)).rows.map((r) => String(r.name)) : [];
  const known = sorted(migrations);
  const buildSchema = known.length ? bare(known[known.length - 1]!.name) : null;
  const names = new Set(known.map((m) => m.name));
  const unknown = applied.filter((n) => !names.has(n));
  const schema = applied.length ? bare(applied[applied.length - 1]!) : null;
  if (unknown.length) throw new SchemaTooNewError(schema ?? bare(unknown[unknown.length - 1]!), buildSchema, unknown.map(bare));
  const done = new Set(applied);
  return { applied, pending: known.filter((m) => !done.has(m.name)), schema, buildSchema };
}

/**
 * Applies the drizzle-kit SQL files that wrangler applies on D1, recording them
 * in the same table, each migration atomically with its record. Refuses (SchemaTooNewError)
 * a database migrated by a newer build, before changing anything.
 */
export async function applyMigrations(client: Client, migrations: Migration[]): Promise<string[]> {
  const { pending } = await migrationState(client, migrations);
  if (pending.length === 0) return [];
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
  );
  const applied: string[] = [];
  for (const m of pending) {
    await client.batch([...migrationStatements(m), { sql: `INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`, args: [m.name] }], "write");
    applied.push(m.name);
  }
  return applied;
}

/**
 * A consistent copy of the whole database in a new file (VACUUM INTO: readers and the WAL are
 * respected, the copy is compacted). SQLite refuses to overwrite an existing file, so a backup is
 * never clobbered.
 */
export async function backupDatabase(client: Client, file: string): Promise<void> {
  await client.execute({ sql: "VACUUM INTO ?", args: [file] });
}

/** "<name>-<schema>-<UTC date and time>.db", sortable, safe in any file system. */
export function backupFileName(dbName: string, schema: string | null, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${dbName.replace(/\.db$/, "")}-${schema ?? "empty"}-${stamp}.db`;
}
