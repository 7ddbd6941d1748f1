// `airlock migrate`, also run by `airlock serve` before it starts: a dated VACUUM INTO backup,
// checked, then the pending migrations. A database migrated by a newer build is refused.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { createClient } from "@libsql/client";
import type { Config } from "../../config.ts";
import { libsqlDatabase } from "../node/libsql.ts";
import { MIGRATIONS_TABLE } from "../../deps/db/database.ts";
import { applyMigrations, backupDatabase, backupFileName, migrationState, type MigrationState } from "../../deps/db/migrate.ts";
import { readMigrations } from "../node/files.ts";

export class MigrateError extends Error {}

export interface MigrateOptions {
  /** Only report; change nothing. */
  statusOnly?: boolean;
  /** Default: "backups" beside the database file. */
  backupDir?: string;
  /** Skip the backup (a libSQL server, or a site that takes its own). */
  noBackup?: boolean;
  now?: Date;
}

export interface MigrateResult {
  database: string;
  schema_before: string | null;
  schema_after: string | null;
  build_schema: string | null;
  pending: string[];
  applied: string[];
  backup: string | null;
}

/** The database URL without credentials or query, for messages. */
const shown = (url: string) => url.replace(/\?.*$/, "").replace(/\/\/[^@/]*@/, "//");

export async function migrate(config: Config, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const url = config.databaseUrl;
  const file = url.startsWith("file:") ? resolve(url.slice("file:".length).replace(/\?.*$/, "")) : null;
  if (file && !opts.statusOnly) await mkdir(dirname(file), { recursive: true });
  const db = await libsqlDatabase({ url, authToken: config.databaseAuthToken });
  try {
    const migrations = await readMigrations();
    const state: MigrationState = await migrationState(db.client, migrations);
    const result: MigrateResult = {
      database: shown(url),
      schema_before: state.schema,
      schema_after: state.schema,
      build_schema: state.buildSchema,
      pending: state.pending.map((m) => m.name),
      applied: [],
      backup: null,
    };
    if (opts.statusOnly || state.pending.length === 0) return result;
    // An empty database has nothing to lose; otherwise nothing changes before a checked backup exists.
    if (state.applied.length > 0 && !opts.noBackup) {
      if (!file) throw new MigrateError(`${shown(url)} is a libSQL server: back it up with the server's own tools, then run again with --no-backup`);
      const dir = resolve(opts.backupDir ?? join(dirname(file), "backups"));
      await mkdir(dir, { recursive: true, mode: 0o700 }).catch((e: Error) => {
        throw new MigrateError(`cannot create the backup folder ${dir}: ${e.message}; nothing was migrated`);
      });
      const backup = join(dir, backupFileName(basename(file), state.schema, opts.now ?? new Date()));
      if (existsSync(backup)) throw new MigrateError(`the backup file ${backup} already exists: nothing was migrated (a backup is never overwritten)`);
      await backupDatabase(db.client, backup).catch((e: Error) => {
        throw new MigrateError(`cannot write the backup ${backup}: ${e.message}; nothing was migrated`);
      });
      await checkBackup(backup, state.applied);
      result.backup = backup;
    }
    result.applied = await applyMigrations(db.client, migrations);
    result.schema_after = (await migrationState(db.client, migrations)).schema;
    return result;
  } finally {
    await db.close();
  }
}

/** The backup opens, passes SQLite's integrity check and has the same migrations as the original. */
async function checkBackup(file: string, applied: string[]): Promise<void> {
  const client = createClient({ url: `file:${file}` });
  try {
    const check = await client.execute("PRAGMA integrity_check");
    if (String(check.rows[0]?.[0]) !== "ok") throw new MigrateError(`the backup ${file} failed SQLite's integrity check: nothing was migrated`);
    const names = (await client.execute(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`)).rows.map((r) => String(r.name));
    if (names.join() !== applied.join()) throw new MigrateError(`the backup ${file} does not match the database: nothing was migrated`);
  } finally {
    client.close();
  }
}

/** `airlock backup`: a checked VACUUM INTO copy of a file database, online (the server may keep running). */
export async function backup(config: Config, opts: { out?: string; backupDir?: string; now?: Date } = {}): Promise<{ backup: string; schema: string | null }> {
  const url = config.databaseUrl;
  if (!url.startsWith("file:")) throw new MigrateError(`${shown(url)} is a libSQL server: back it up with the server's own tools`);
  const file = resolve(url.slice("file:".length).replace(/\?.*$/, ""));
  if (!existsSync(file)) throw new MigrateError(`no database at ${file}`);
  const db = await libsqlDatabase({ url, authToken: config.databaseAuthToken });
  try {
    const state = await migrationState(db.client, await readMigrations());
    const target = resolve(opts.out ?? join(opts.backupDir ?? join(dirname(file), "backups"), backupFileName(basename(file), state.schema, opts.now ?? new Date())));
    if (existsSync(target)) throw new MigrateError(`${target} already exists: a backup is never overwritten`);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await backupDatabase(db.client, target);
    await checkBackup(target, state.applied);
    return { backup: target, schema: state.schema };
  } finally {
    await db.close();
  }
}

export function describeMigration(r: MigrateResult): string {
  const lines = [`database ${r.database}: schema ${r.schema_before ?? "(empty)"}, this build ${r.build_schema ?? "(none)"}`];
  if (r.backup) lines.push(`backup written and checked: ${r.backup}`);
  if (r.applied.length) lines.push(`applied ${r.applied.length} migration(s): ${r.applied.join(", ")}; schema now ${r.schema_after}`);
  else if (r.pending.length) lines.push(`pending: ${r.pending.join(", ")}`);
  else lines.push("up to date");
  return lines.join("\n");
}
