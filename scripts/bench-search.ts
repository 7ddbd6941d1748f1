// Full-text search at size: query latency (p50/p95 through the real search service, snippets
// included), the index's size on disk beside the tables it indexes, and what the triggers add to
// inserting requests and answers. libSQL files; the figures are in docs/search.md.
//   npx tsx scripts/bench-search.ts [--requests=10000,100000] [--runs=100]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client, type InStatement } from "@libsql/client";
import { loadConfig } from "../src/config.ts";
import { buildOnPremServices } from "../src/runtime/node/services.ts";
import { readMigrations } from "../src/runtime/node/files.ts";
import { nodeRuntime } from "../src/runtime/node-server.ts";
import { MemoryLogger } from "../src/deps/logger.ts";
import { applyMigrations } from "../src/deps/db/migrate.ts";
import { searchRequests, type SearchOptions } from "../src/requests/search.ts";
import type { Principal } from "../src/identity/roles.ts";

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
const SIZES = arg("requests", "10000,100000").split(",").map(Number);
const RUNS = Number(arg("runs", "100"));
const USERS = 1000;
const CHUNK = 1000;

// Deterministic text: a Zipf-like vocabulary of 5,000 made-up words, plus words planted at known rates.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const SYLLABLES = ["ka", "lo", "mer", "vin", "tor", "bre", "sta", "ne", "ru", "dal", "quin", "pe", "gor", "ish", "ul", "zen"];
const VOCAB = Array.from({ length: 5000 }, (_, i) => {
  let w = "";
  for (let n = i + 7; n > 0; n = Math.floor(n / 16)) w += SYLLABLES[n % 16];
  return w;
});
const CDF = (() => {
  const w = VOCAB.map((_, i) => 1 / (i + 1));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
})();
const word = () => {
  const u = rand();
  let lo = 0;
  let hi = CDF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CDF[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return VOCAB[lo]!;
};
const sentence = (n: number) => Array.from({ length: n }, word).join(" ");

/** Request i: "tide" in every second one, "harbour" in 1 %, "ref<i>" in exactly one. */
function request(i: number) {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const planted = [i % 2 === 0 ? "tide" : "", i % 100 === 0 ? "harbour" : "", `ref${i}`].filter(Boolean).join(" ");
  return {
    id: `req_${String(i).padStart(26, "0")}`,
    user: `usr_${String(i % USERS).padStart(26, "0")}`,
    topic: `${word()} ${word()}`,
    body: JSON.stringify({ q: `${sentence(20)} ${planted}`, vessel: word(), n: i }),
    answer: `${sentence(30)}${i % 3 === 0 ? " coefficient" : ""}`,
    at,
  };
}

function statements(from: number, to: number): InStatement[] {
  const out: InStatement[] = [];
  for (let i = from; i < to; i++) {
    const r = request(i);
    out.push({
      sql: "INSERT INTO requests (id, user_id, topic, body, status, created_at, updated_at, master_version) VALUES (?, ?, ?, ?, 'answered', ?, ?, 1)",
      args: [r.id, r.user, r.topic, r.body, r.at, r.at],
    });
    out.push({
      sql: "INSERT INTO responses (request_id, kind, body, content_type, answered_at) VALUES (?, 'answer', ?, 'text/plain', ?)",
      args: [r.id, r.answer, r.at],
    });
  }
  return out;
}

/** Inserts n requests with answers in batches of CHUNK (one transaction each); answers ms. */
async function fill(c: Client, n: number): Promise<number> {
  seed = 42;
  const t = performance.now();
  for (let i = 0; i < n; i += CHUNK) await c.batch(statements(i, Math.min(n, i + CHUNK)), "write");
  return performance.now() - t;
}

async function sizes(c: Client) {
  const rows = (await c.execute("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name")).rows;
  const sum = (test: (n: string) => boolean) => rows.filter((r) => test(String(r.name))).reduce((a, r) => a + Number(r.bytes), 0);
  return {
    tables: sum((n) => /^(requests|responses)$|^requests_|^sqlite_autoindex_(requests|responses)_/.test(n)),
    index: sum((n) => n.startsWith("search_") || n.startsWith("sqlite_autoindex_search_")),
    copy: sum((n) => n === "search_index_content"),
  };
}

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

const operator: Principal = { type: "user", userId: "usr_operator", role: "operator", sessionId: "bench", rateLimits: null };
const owner: Principal = { type: "user", userId: `usr_${"8".padStart(26, "0")}`, role: "user", sessionId: "bench", rateLimits: null };

for (const n of SIZES) {
  const dir = await mkdtemp(join(tmpdir(), "airlock-bench-search-"));
  const all = await readMigrations();
  // The same rows into a database without the search migration: the triggers' cost is the difference.
  const plain = createClient({ url: `file:${join(dir, "plain.db")}` });
  await applyMigrations(
    plain,
    all.filter((m) => !m.name.endsWith("_search.sql")),
  );
  const plainMs = await fill(plain, n);
  plain.close();

  const config = loadConfig({ NETWORK_ROLE: "response", AIRLOCK_DATA_DIR: dir, AIRLOCK_JWT_SECRET: "bench-secret-0123456789abcdef0123456789" });
  const s = await buildOnPremServices(config, { runtime: nodeRuntime(), logger: new MemoryLogger() });
  const c = createClient({ url: `file:${join(dir, "response.db")}` });
  const indexedMs = await fill(c, n);
  const size = await sizes(c);

  const rare = `ref${Math.floor(n / 2)} `;
  const queries: Array<[string, Principal, string, SearchOptions?]> = [
    ["common word (50 % of requests)", operator, "tide "],
    ["medium word (1 %)", operator, "harbour "],
    ["rare word (1 request)", operator, rare],
    ["two common words (50 % and 33 %)", operator, "tide coefficient "],
    ["prefix of a common word (`tid`)", operator, "tid"],
    ["no match", operator, "nowhere "],
    ["a user's own (0.1 % of requests), common word: walking their entries", owner, "tide "],
    ["the same, walking the word's matches instead", owner, "tide ", { ownEntriesWalkMax: 0 }],
    ["a user's own, a rare word not theirs: walking their entries", owner, rare],
    ["the same, walking the word's matches instead", owner, rare, { ownEntriesWalkMax: 0 }],
  ];
  console.log(`\n${n.toLocaleString("en-US")} requests with answers (${USERS} users), ${RUNS} runs each, page of 20 with snippets\n`);
  console.log("| query | results (first page) | p50 | p95 |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [label, who, q, options] of queries) {
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      found = (await searchRequests(s, who, q, { limit: 20 }, options)).items.length;
      times.push(performance.now() - t);
    }
    console.log(`| ${label} | ${found} | ${ms(pct(times, 0.5))} ms | ${ms(pct(times, 0.95))} ms |`);
  }
  const perRow = (t: number) => (t / n) * 1000;
  console.log(`\n| size | requests + responses (with their indexes) | search index, all of it | of which the copy of the text | ratio |`);
  console.log("| --- | ---: | ---: | ---: | ---: |");
  console.log(`| ${n.toLocaleString("en-US")} | ${mib(size.tables)} | ${mib(size.index)} | ${mib(size.copy)} | ${(size.index / size.tables).toFixed(2)} |`);
  console.log(`\n| insert ${n.toLocaleString("en-US")} requests + answers, batches of ${CHUNK} | time | µs per request |`);
  console.log("| --- | ---: | ---: |");
  console.log(`| without the search migration | ${plainMs.toFixed(0)} ms | ${perRow(plainMs).toFixed(0)} |`);
  console.log(`| with it (triggers index each row) | ${indexedMs.toFixed(0)} ms | ${perRow(indexedMs).toFixed(0)} |`);
  c.close();
  await s.db.close();
  await rm(dir, { recursive: true, force: true });
}
