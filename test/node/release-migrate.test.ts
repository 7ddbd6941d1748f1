// Upgrading a database made by the previous schema version: the backup (VACUUM INTO, dated) is
// written and checked before anything changes, the data survives, and a build older than the
// database refuses to start on it.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { loadConfig } from "../../src/config.ts";
import { libsqlDatabase } from "../../src/runtime/node/libsql.ts";
import { SchemaTooNewError } from "../../src/deps/db/migrate.ts";
import { backup, migrate } from "../../src/runtime/cli/migrate.ts";
import { startNodeServer } from "../../src/runtime/node-server.ts";
import { readMigrations } from "../../src/runtime/node/files.ts";
import { TEST_ENV, tempDir } from "../helpers/node-app.ts";
import { ROOT } from "../helpers/spawn.ts";

const NOW = new Date("2026-11-30T12:34:56.789Z");

/** A response database at the schema before the newest, holding one user. */
async function previousSchemaDb(dir: string) {
  const all = await readMigrations();
  const db = await libsqlDatabase({ url: `file:${join(dir, "response.db")}`, migrations: all.slice(0, -1) });
  await db.client.execute({
    sql: "INSERT INTO users (id, email, email_normalized, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    args: ["u-1", "Ada@Example.com", "ada@example.com", "Ada", "admin", "pbkdf2$x", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
  });
  await db.close();
  return { previous: all.at(-2)!.name.replace(/\.sql$/, ""), newest: all.at(-1)!.name.replace(/\.sql$/, "") };
}

async function inspect(file: string) {
  const c = createClient({ url: `file:${file}` });
  try {
    return {
      migrations: (await c.execute("SELECT name FROM d1_migrations ORDER BY id")).rows.map((r) => String(r.name).replace(/\.sql$/, "")),
      users: (await c.execute("SELECT id, email FROM users")).rows.map((r) => ({ id: r.id, email: r.email })),
      objects: (await c.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")).rows.length,
    };
  } finally {
    c.close();
  }
}

const config = (dir: string) => loadConfig({ ...TEST_ENV, NETWORK_ROLE: "response", AIRLOCK_DATA_DIR: dir });
const cli = (args: string[], dir: string) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/runtime/cli/airlock.ts"), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...TEST_ENV, AIRLOCK_DATA_DIR: dir, PORT: "0" },
    encoding: "utf8",
  });

describe("airlock migrate", () => {
  it("upgrades a database of the previous schema version, writing a checked backup first", async () => {
    const dir = await tempDir();
    const { previous, newest } = await previousSchemaDb(dir);
    expect((await inspect(join(dir, "response.db"))).migrations.at(-1)).toBe(previous);

    const status = await migrate(config(dir), { statusOnly: true });
    expect(status).toMatchObject({ schema_before: previous, build_schema: newest, pending: [`${newest}.sql`], applied: [], backup: null });
    expect(existsSync(join(dir, "backups"))).toBe(false);

    const result = await migrate(config(dir), { now: NOW });
    const backup = join(dir, "backups", `response-${previous}-20261130T123456Z.db`);
    expect(result).toMatchObject({ schema_before: previous, schema_after: newest, applied: [`${newest}.sql`], backup });
    // The backup is the database as it was before the migration; the database moved on, data intact.
    const before = await inspect(backup);
    const after = await inspect(join(dir, "response.db"));
    expect(before.migrations.at(-1)).toBe(previous);
    const objectsBefore = before.objects;
    expect(before.users).toEqual([{ id: "u-1", email: "Ada@Example.com" }]);
    expect(after.migrations.at(-1)).toBe(newest);
    expect(after.objects).toBeGreaterThan(objectsBefore); // the newest migration's tables and indexes
    expect(after.users).toEqual(before.users);

    // Up to date now: nothing applied, no second backup.
    expect(await migrate(config(dir), { now: new Date(NOW.getTime() + 60_000) })).toMatchObject({ applied: [], backup: null, pending: [] });
    expect(await readdir(join(dir, "backups"))).toEqual([`response-${previous}-20261130T123456Z.db`]);
  });

  it("changes nothing when the backup cannot be written", async () => {
    const dir = await tempDir();
    const { previous } = await previousSchemaDb(dir);
    await mkdir(join(dir, "backups"));
    // A file already has the backup's name: VACUUM INTO refuses to overwrite it.
    await writeFile(join(dir, "backups", `response-${previous}-20261130T123456Z.db`), "not a database");
    await expect(migrate(config(dir), { now: NOW })).rejects.toThrow(/already exists: nothing was migrated/);
    expect((await inspect(join(dir, "response.db"))).migrations.at(-1)).toBe(previous);
    // Any other failure to write the backup stops the migration too.
    await expect(migrate(config(dir), { now: NOW, backupDir: join(dir, "backups", `response-${previous}-20261130T123456Z.db`, "sub") })).rejects.toThrow(/nothing was migrated/);
    expect((await inspect(join(dir, "response.db"))).migrations.at(-1)).toBe(previous);
  });

  it("from the command line: a first start needs no backup; the CLI reports what it did", async () => {
    const dir = await tempDir();
    const fresh = cli(["migrate", "--role", "response", "--json"], dir);
    expect(fresh.status, fresh.stderr).toBe(0);
    const r = JSON.parse(fresh.stdout);
    expect(r).toMatchObject({ schema_before: null, backup: null });
    expect(r.applied).toEqual((await readMigrations()).map((m) => m.name));
  });
});

describe("airlock backup, and the restore drill", () => {
  it("copies the live database (checked), and the copy restores the data", async () => {
    const dir = await tempDir();
    await previousSchemaDb(dir);
    await migrate(config(dir));
    const live = await libsqlDatabase({ url: `file:${join(dir, "response.db")}` });
    try {
      // Taken while another connection holds the database open, as with a running server.
      const { backup: file, schema } = await backup(config(dir), { now: NOW });
      expect(file).toBe(join(dir, "backups", `response-${schema}-20261130T123456Z.db`));
      await expect(backup(config(dir), { now: NOW })).rejects.toThrow(/already exists: a backup is never overwritten/);
      await live.client.execute("DELETE FROM users");
      await live.close();
      // Restore: the server stopped, the database and its WAL files replaced by the backup.
      for (const suffix of ["", "-wal", "-shm"]) await rm(join(dir, `response.db${suffix}`), { force: true });
      await copyFile(file, join(dir, "response.db"));
      expect((await inspect(join(dir, "response.db"))).users).toEqual([{ id: "u-1", email: "Ada@Example.com" }]);
      expect(await migrate(config(dir), { statusOnly: true })).toMatchObject({ schema_before: schema, pending: [] });
    } finally {
      await live.close().catch(() => {});
    }
  });
});

describe("a build older than the database", () => {
  it("refuses to start on it with a clear message, and leaves it untouched", async () => {
    const dir = await tempDir();
    const future = { name: "0099_future.sql", sql: "CREATE TABLE `future_thing` (`id` text PRIMARY KEY NOT NULL);" };
    const db = await libsqlDatabase({ url: `file:${join(dir, "response.db")}`, migrations: [...(await readMigrations()), future] });
    await db.close();
    const newest = (await readMigrations()).at(-1)!.name.replace(/\.sql$/, "");

    await expect(startNodeServer({ ...TEST_ENV, NETWORK_ROLE: "response", AIRLOCK_DATA_DIR: dir, PORT: "0" }, { scheduler: false })).rejects.toThrow(SchemaTooNewError);
    await expect(migrate(config(dir))).rejects.toThrow(`the database's schema (0099_future) is newer than this build of Airlock knows (newest: ${newest}; unknown: 0099_future)`);

    const serve = cli(["serve", "--role", "response"], dir);
    expect(serve.status).toBe(3);
    expect(serve.stderr).toContain("airlock: refusing to start: the database's schema (0099_future) is newer than this build");
    expect(serve.stderr).toContain('roll back by restoring the backup written before that migration (docs/operations.md, "Rolling back")');
    expect(serve.stdout).not.toContain("listening");
    expect(existsSync(join(dir, "backups"))).toBe(false);
    expect((await inspect(join(dir, "response.db"))).migrations.at(-1)).toBe("0099_future");
  });
});
