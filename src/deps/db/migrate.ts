import type { Client } from "@libsql/client";
import { MIGRATIONS_TABLE } from "./database.ts";

export interface Migration {
  /** File name, e.g. "0000_foundation.sql" — the same name wrangler records on D1. */
  name: string;
  sql: string;
}

const BREAKPOINT = "--> statement-breakpoint";

/**
 * Applies the drizzle-kit SQL files that wrangler applies on D1, recording them
 * in the same table, each migration atomically with its record.
 */
export async function applyMigrations(client: Client, migrations: Migration[]): Promise<string[]> {
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
  );
  const done = new Set((await client.execute(`SELECT name FROM ${MIGRATIONS_TABLE}`)).rows.map((r) => String(r.name)));
  const applied: string[] = [];
  for (const m of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    if (done.has(m.name)) continue;
    const statements = m.sql
      .split(BREAKPOINT)
      .map((s) => s.trim())
      .filter(Boolean);
    await client.batch([...statements, { sql: `INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`, args: [m.name] }], "write");
    applied.push(m.name);
  }
  return applied;
}
