// The search migration (hand-written FTS5 table, view and triggers) and the statement splitter it
// needs: our migrator splits every migration file as wrangler does for D1, the migration runs and
// backfills existing rows on libSQL (our migrator) and on D1 in workerd (wrangler's splitter), and
// the triggers keep the index in step afterwards.
import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_splitSqlQuery } from "wrangler";
import { createClient } from "@libsql/client";
import { splitStatements } from "../../src/deps/db/sql-statements.ts";
import { applyMigrations, migrationStatements, type Migration } from "../../src/deps/db/migrate.ts";
import { readMigrations } from "../../src/runtime/node/files.ts";
import { tempDir } from "../helpers/node-app.ts";

const squash = (s: string) =>
  s
    .replace(/--[^\n]*/g, "")
    .replace(/\s+/g, " ")
    .replace(/;$/, "")
    .trim();

describe("splitStatements", () => {
  it("splits at semicolons outside quotes and comments, keeps trigger bodies whole", () => {
    const text = `-- a comment; not a statement
CREATE TABLE a (x TEXT DEFAULT ';', "y;" TEXT, [z;] TEXT, \`w;\` TEXT); /* c; */ INSERT INTO a VALUES ('it''s; fine', 1, 2, 3);
CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE a SET x = CASE WHEN new.x = 'end;' THEN 'a' ELSE 'b' END;
  DELETE FROM a WHERE x = 'END';
END;
create trigger u after delete on a begin select 1; end
;; SELECT 2`;
    expect(splitStatements(text).map(squash)).toEqual([
      `CREATE TABLE a (x TEXT DEFAULT ';', "y;" TEXT, [z;] TEXT, \`w;\` TEXT)`,
      "/* c; */ INSERT INTO a VALUES ('it''s; fine', 1, 2, 3)",
      "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = CASE WHEN new.x = 'end;' THEN 'a' ELSE 'b' END; DELETE FROM a WHERE x = 'END'; END",
      "create trigger u after delete on a begin select 1; end",
      "SELECT 2",
    ]);
    expect(splitStatements("  -- only a comment\n /* and another */ ")).toEqual([]);
  });

  it("finds the same statements in every migration as wrangler does for D1", async () => {
    for (const m of await readMigrations()) {
      const ours = migrationStatements(m).map(squash);
      const wranglers = unstable_splitSqlQuery(m.sql).map(squash).filter(Boolean);
      expect(ours, m.name).toEqual(wranglers);
    }
  });

  it("a piece without breakpoints runs every statement on libSQL (it would silently run only the first)", async () => {
    const c = createClient({ url: `file:${join(await tempDir(), "split.db")}` });
    const m: Migration = { name: "9999_test.sql", sql: "CREATE TABLE one (x);\nCREATE TABLE two (y);\nINSERT INTO two VALUES (1);" };
    await applyMigrations(c, [m]);
    const names = (await c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('one', 'two') ORDER BY name")).rows.map((r) => r.name);
    expect(names).toEqual(["one", "two"]);
    expect((await c.execute("SELECT count(*) AS n FROM two")).rows[0]!.n).toBe(1);
    c.close();
  });
});

/** Two requests and an answer written before the search migration, as an older release left them. */
const BEFORE = [
  `INSERT INTO requests (id, user_id, topic, body, status, created_at, updated_at) VALUES
     ('req_old1', 'usr_a', 'tides', '{"q":"When is high tide at Brest?","n":42}', 'answered', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
     ('req_old2', 'usr_b', 'weather', '"plain string body about the café"', 'received', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')`,
  `INSERT INTO responses (request_id, kind, body, content_type, answered_at) VALUES ('req_old1', 'answer', '{"answer":"at 14:05, coefficient 95"}', 'application/json', '2026-01-01T01:00:00Z')`,
];
const AFTER = [
  `INSERT INTO requests (id, user_id, topic, body, status, created_at, updated_at) VALUES ('req_new', 'usr_a', 'ships', '{"q":"ferry timetable"}', 'received', '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z')`,
  `INSERT INTO responses (request_id, kind, body, content_type, answered_at) VALUES ('req_new', 'answer', 'the morning ferry leaves at seven', 'text/plain', '2026-01-03T01:00:00Z')`,
  `UPDATE responses SET body = '{"answer":"corrected: 14:10"}', version = 2 WHERE request_id = 'req_old1'`,
  `UPDATE requests SET body = '{"q":"Is the ferry late?"}', replica_version = 2 WHERE id = 'req_new'`,
  `UPDATE requests SET status = 'cancelled' WHERE id = 'req_new'`,
  `INSERT INTO requests (id, user_id, topic, body, status, created_at, updated_at) VALUES ('req_rej', 'usr_b', 'tides', 'not json  at all', 'rejected', '2026-01-04T00:00:00Z', '2026-01-04T00:00:00Z')`,
  `INSERT INTO responses (request_id, kind, reason, answered_at) VALUES ('req_rej', 'rejection', 'out of scope: lighthouses only', '2026-01-04T01:00:00Z')`,
  `INSERT INTO requests (id, user_id, topic, body, status, created_at, updated_at) VALUES ('req_gone', 'usr_b', 'gone', '"soon deleted"', 'answered', '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z')`,
  `INSERT INTO responses (request_id, kind, body, content_type, answered_at) VALUES ('req_gone', 'answer', '"vanishing"', 'application/json', '2026-01-05T01:00:00Z')`,
  `DELETE FROM responses WHERE request_id = 'req_gone'`,
  `DELETE FROM requests WHERE id = 'req_old2'`,
];
/** Index entries that differ from what the view says they should hold (or are missing or extra). */
const DRIFT = `SELECT
  (SELECT count(*) FROM search_source AS s LEFT JOIN search_index AS f ON f.rowid = s.doc
    WHERE f.rowid IS NULL OR f.topic IS NOT s.topic OR f.body IS NOT s.body OR f.answer IS NOT s.answer) +
  (SELECT count(*) FROM search_index) - (SELECT count(*) FROM search_source) AS drift`;
const FIND = `SELECT d.request_id AS id FROM search_index AS f JOIN search_docs AS d ON d.id = f.rowid WHERE search_index MATCH ? ORDER BY f.rowid`;
/** What each query finds after BEFORE, the migration, and AFTER. */
const EXPECTED_BACKFILL: Array<[string, string[]]> = [
  ['"brest"', ["req_old1"]],
  ['"cafe"', ["req_old2"]], // diacritics removed
  ['"coefficient"', ["req_old1"]],
  ['"42"', ["req_old1"]], // numbers are words
  ['"q"', []], // JSON keys are not
  ['answer:"brest"', []],
];
const EXPECTED_AFTER: Array<[string, string[]]> = [
  ['"ferry"', ["req_new"]],
  ['"seven"', ["req_new"]],
  ['"coefficient"', []], // the correction replaced the answer
  ['"corrected"', ["req_old1"]],
  ['"cafe"', []], // deleted
  ['"late"', ["req_new"]], // the request's new text...
  ['"coefficient"', []],
  ['"lighthouses"', ["req_rej"]], // a rejection's reason
  ['"vanishing"', []], // its response deleted
  ['"deleted"', ["req_gone"]],
];

describe("the search migration", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup) await f();
  });

  it("libSQL (our migrator): backfills existing rows, then the triggers keep the index in step", async () => {
    const all = await readMigrations();
    const search = all.findIndex((m) => m.name.endsWith("_search.sql"));
    const c = createClient({ url: `file:${join(await tempDir(), "search.db")}` });
    cleanup.push(async () => c.close());
    await applyMigrations(c, all.slice(0, search));
    for (const q of BEFORE) await c.execute(q);
    await applyMigrations(c, all);
    const find = async (q: string) => (await c.execute({ sql: FIND, args: [q] })).rows.map((r) => r.id);
    for (const [q, ids] of EXPECTED_BACKFILL) expect(await find(q), q).toEqual(ids);
    for (const q of AFTER) await c.execute(q);
    for (const [q, ids] of EXPECTED_AFTER) expect(await find(q), q).toEqual(ids);
    expect((await c.execute("SELECT count(*) AS n FROM search_docs")).rows[0]!.n).toBe(4);
    expect((await c.execute(DRIFT)).rows[0]!.drift).toBe(0);
    await c.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')"); // throws if the index and its content disagree
  });

  it("D1 in workerd (wrangler's splitter): the same", async () => {
    const all = await readMigrations();
    const search = all.findIndex((m) => m.name.endsWith("_search.sql"));
    const mf = new Miniflare({ modules: true, script: "export default { fetch() { return new Response('') } }", d1Databases: { DB: "search" } });
    cleanup.push(() => mf.dispose());
    const db = await mf.getD1Database("DB");
    const apply = async (ms: Migration[]) => {
      for (const m of ms) await db.batch(unstable_splitSqlQuery(m.sql).map((q) => db.prepare(q)));
    };
    await apply(all.slice(0, search));
    for (const q of BEFORE) await db.prepare(q).run();
    await apply(all.slice(search));
    const find = async (q: string) => (await db.prepare(FIND).bind(q).all<{ id: string }>()).results.map((r) => r.id);
    for (const [q, ids] of EXPECTED_BACKFILL) expect(await find(q), q).toEqual(ids);
    for (const q of AFTER) await db.prepare(q).run();
    for (const [q, ids] of EXPECTED_AFTER) expect(await find(q), q).toEqual(ids);
    expect(await db.prepare(DRIFT).first("drift")).toBe(0);
    await db.prepare("INSERT INTO search_index (search_index) VALUES ('integrity-check')").run();
  });
});
