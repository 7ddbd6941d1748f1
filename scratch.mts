import { createClient } from "@libsql/client";
import { applyMigrations } from "./src/deps/db/migrate.ts";
import { readMigrations } from "./src/runtime/node/files.ts";
const all = await readMigrations();
const search = all.find(m => m.name.endsWith("_search.sql"))!;
const N = 3000;
const body = (i: number) => JSON.stringify({ q: `lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua tide ${i}`, vessel: "x", n: i });
const ans = "the answer is a sentence of some thirty words ".repeat(4);
const variants: Record<string, (sql: string) => string> = {
  plain: (s) => "",
  current: (s) => s,
  columnsize0: (s) => s.replace("tokenize = 'unicode61 remove_diacritics 2')", "tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)"),
  noautoinc: (s) => s.replace("id INTEGER PRIMARY KEY AUTOINCREMENT,", "id INTEGER PRIMARY KEY,"),
  direct: (s) => s.replace(/INSERT INTO search_docs \(request_id, user_id\) VALUES \(new.id, new.user_id\);\n  INSERT INTO search_index \(rowid, topic, body, answer\) SELECT doc, topic, body, answer FROM search_source WHERE request_id = new.id;/,
    "INSERT INTO search_docs (request_id, user_id) VALUES (new.id, new.user_id);\n  INSERT INTO search_index (rowid, topic, body) VALUES (last_insert_rowid(), new.topic, CASE WHEN json_valid(new.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(new.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE new.body END );"),
};
const best: Record<string, [number, number]> = {};
for (let round = 0; round < 3; round++) for (const [name, f] of Object.entries(variants)) {
  const c = createClient({ url: `file:/tmp/srch/y-${name}-${round}-${Date.now()}.db` });
  const base = all.filter(m => !m.name.endsWith("_search.sql"));
  const sql = f(search.sql);
  if (name === "direct" && sql === search.sql) throw new Error("direct not applied");
  await applyMigrations(c, sql ? [...base, { name: search.name, sql }] : base);
  let t = performance.now();
  for (let i = 0; i < N; i += 500) await c.batch(Array.from({ length: 500 }, (_, k) => ({ sql: "INSERT INTO requests (id, user_id, topic, body, status, created_at, updated_at) VALUES (?, 'u', 'topic words', ?, 'received', 'x', 'x')", args: [`r${i + k}`, body(i + k)] })), "write");
  const a = (performance.now() - t) / N * 1000;
  t = performance.now();
  for (let i = 0; i < N; i += 500) await c.batch(Array.from({ length: 500 }, (_, k) => ({ sql: "INSERT INTO responses (request_id, kind, body, content_type, answered_at) VALUES (?, 'answer', ?, 'text/plain', 'x')", args: [`r${i + k}`, ans + (i + k)] })), "write");
  const b = (performance.now() - t) / N * 1000;
  const cur = best[name];
  best[name] = cur ? [Math.min(cur[0], a), Math.min(cur[1], b)] : [a, b];
  c.close();
}
for (const [n, [a, b]] of Object.entries(best)) console.log(n.padEnd(12), "request", a.toFixed(0), "µs  answer", b.toFixed(0), "µs  total", (a + b).toFixed(0));
