// Group commit on a libSQL file (src/runtime/node/group-commit.ts): batches handed in together share
// one transaction, yet each caller's batch stays all-or-nothing on its own and gets its own results.
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { eq, sql } from "drizzle-orm";
import { idempotencyKeys } from "../../schema/index.ts";
import { libsqlDatabase } from "../../src/runtime/node/libsql.ts";
import { readMigrations } from "../../src/runtime/node/files.ts";
import { MAX_GROUP } from "../../src/runtime/node/group-commit.ts";
import { guard, isGuardFailure } from "../../src/deps/db/guard.ts";
import type { Database, Statement } from "../../src/deps/db/database.ts";
import { tempDir } from "../helpers/node-app.ts";

const opened: Database[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function open() {
  const file = join(await tempDir(), "group.db");
  const db = await libsqlDatabase({ url: `file:${file}`, migrations: await readMigrations() });
  opened.push(db);
  return { db, file };
}

const row = (key: string) => ({
  userId: "usr_1",
  key,
  fingerprint: "f",
  state: "done" as const,
  statusCode: 200,
  responseBody: "null",
  createdAt: "2026-01-01T00:00:00.000Z",
  expiresAt: "2026-01-02T00:00:00.000Z",
});
const insert = (db: Database, key: string) => db.orm.insert(idempotencyKeys).values(row(key)).returning({ key: idempotencyKeys.key });
const batch = (db: Database, ...statements: Statement[]) => db.batch(statements as [Statement, ...Statement[]]);

/** The keys on disk, read through a connection of its own (so only what was committed). */
async function committedKeys(file: string): Promise<string[]> {
  const other = createClient({ url: `file:${file}` });
  try {
    return (await other.execute("select key from idempotency_keys order by key")).rows.map((r) => String(r.key));
  } finally {
    other.close();
  }
}

describe("group commit (libSQL file)", () => {
  it("batches handed in together commit in one transaction, each caller getting its own statements' results", async () => {
    const { db, file } = await open();
    const before = { ...db.groupCommit };
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const results = await Promise.all(keys.map((k) => batch(db, insert(db, k), insert(db, `${k}-b`))));
    expect(results).toEqual(keys.map((k) => [[{ key: k }], [{ key: `${k}-b` }]]));
    expect(db.groupCommit.transactions - before.transactions).toBe(1);
    expect(db.groupCommit.batches - before.batches).toBe(10);
    expect(await committedKeys(file)).toEqual(keys.flatMap((k) => [k, `${k}-b`]).sort());
  });

  it("a failing batch fails alone: nothing of it is written, the others of its group commit", async () => {
    const { db, file } = await open();
    const before = { ...db.groupCommit };
    const [a, b, c] = await Promise.allSettled([
      batch(db, insert(db, "a1"), insert(db, "a2")),
      // Its first statement runs, then its guard fails: the whole of it must be undone.
      batch(db, insert(db, "b1"), ...guard(db, sql`1 = 0`)),
      batch(db, insert(db, "c1")),
    ]);
    expect(a).toEqual({ status: "fulfilled", value: [[{ key: "a1" }], [{ key: "a2" }]] });
    expect(b.status).toBe("rejected");
    expect(isGuardFailure((b as PromiseRejectedResult).reason)).toBe(true);
    expect(c).toEqual({ status: "fulfilled", value: [[{ key: "c1" }]] });
    expect(await committedKeys(file)).toEqual(["a1", "a2", "c1"]);
    // The group's transaction rolled back, then each batch ran alone.
    expect(db.groupCommit.transactions - before.transactions).toBe(4);
    expect(db.groupCommit.batches - before.batches).toBe(2);
    // The connection is usable afterwards, grouped or alone.
    expect(await batch(db, insert(db, "d1"))).toEqual([[{ key: "d1" }]]);
  });

  it("two batches of one group racing for one unique row: the first wins, the second fails whole", async () => {
    const { db, file } = await open();
    const [first, second] = await Promise.allSettled([batch(db, insert(db, "mine-1"), insert(db, "shared")), batch(db, insert(db, "mine-2"), insert(db, "shared"))]);
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("rejected");
    expect(String((second as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: idempotency_keys/);
    expect(await committedKeys(file)).toEqual(["mine-1", "shared"]);
    expect(await db.orm.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, "mine-2")).all()).toEqual([]);
  });

  it("closing waits for the batches already handed in: they are written, not refused", async () => {
    const { db, file } = await open();
    opened.splice(opened.indexOf(db), 1);
    const pending = [batch(db, insert(db, "late-1")), batch(db, insert(db, "late-2"))];
    await db.close();
    expect(await Promise.all(pending)).toEqual([[[{ key: "late-1" }]], [[{ key: "late-2" }]]]);
    expect(await committedKeys(file)).toEqual(["late-1", "late-2"]);
  });

  it(`more than ${MAX_GROUP} batches at once: all commit, in groups of at most ${MAX_GROUP}`, async () => {
    const { db, file } = await open();
    const before = { ...db.groupCommit };
    const n = MAX_GROUP * 2 + 5;
    const keys = Array.from({ length: n }, (_, i) => `n${String(i).padStart(3, "0")}`);
    await Promise.all(keys.map((k) => batch(db, insert(db, k))));
    expect(db.groupCommit.transactions - before.transactions).toBe(3);
    expect(db.groupCommit.batches - before.batches).toBe(n);
    expect(await committedKeys(file)).toEqual(keys);
  });
});
