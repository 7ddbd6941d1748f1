/**
 * Server time of the console's queue page with a full queue: a response network on Node with a
 * libSQL file, 1,000 received requests (20 topics, priorities 0–9, up to 2 days old, 50
 * requesters), an operator signed in through the console's own form; then 50 loads each of the
 * first page and a filtered page, reading the `Server-Timing: app;dur=…` header (the console's
 * time, session check included) and the client's wall time.
 *
 *   npx tsx scripts/bench-console.ts               # markdown table
 *   npx tsx scripts/bench-console.ts --requests=5000 --runs=100
 *
 * Results go in docs/console.md ("Speed").
 */
import process from "node:process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requests, requestEvents, users } from "../schema/index.ts";
import { startNodeServer } from "../src/runtime/node-server.ts";
import { MemoryLogger } from "../src/deps/logger.ts";
import { createUser } from "../src/identity/users.ts";
import { generateNetworkKeys, transferSettings } from "../src/transfer/batch/network-keys.ts";

const opt = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const N = Number(opt("requests") ?? 1000);
const RUNS = Number(opt("runs") ?? 50);
const WARMUP = 5;
const PASSWORD = "bench password 0123456789";

const dir = await mkdtemp(join(tmpdir(), "airlock-bench-console-"));
const server = await startNodeServer(
  {
    NETWORK_ROLE: "response",
    AIRLOCK_DATA_DIR: dir,
    AIRLOCK_JWT_SECRET: "bench-secret-0123456789abcdef0123456789",
    ...transferSettings(await generateNetworkKeys(), await generateNetworkKeys()),
    // The bench's own loads must not hit the operator's quota.
    AIRLOCK_RATE_LIMITS: JSON.stringify({ operator: { minute: 1_000_000, hour: 1_000_000, day: 1_000_000 } }),
    HOST: "127.0.0.1",
    PORT: "0",
  },
  { scheduler: false, logger: new MemoryLogger() },
);
const s = server.services;

try {
  const op = await createUser(s, { email: "bench-operator@example.com", name: "Bench Operator", role: "operator", password: PASSWORD }, { actorType: "system" });
  const now = Date.now();
  const requesters = Array.from({ length: 50 }, (_, i) => {
    const email = `requester-${i}@example.com`;
    const at = new Date(now - 86_400_000 * 3).toISOString();
    return {
      id: `usr_BENCH${String(i).padStart(21, "0")}`,
      email,
      emailNormalized: email,
      name: `Requester ${i}`,
      role: "user" as const,
      status: "active" as const,
      passwordHash: "x",
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
  });
  await s.db.orm.insert(users).values(requesters);
  for (let start = 0; start < N; start += 100) {
    const rows = Array.from({ length: Math.min(100, N - start) }, (_, k) => {
      const i = start + k;
      const at = new Date(now - ((i * 7919) % 172_800) * 1000).toISOString();
      return {
        id: `req_BENCH${String(i).padStart(21, "0")}`,
        userId: requesters[i % requesters.length].id,
        topic: `topic-${i % 20}`,
        body: JSON.stringify({ question: `Question number ${i}: is the gap still closed?`, context: { n: i, tags: ["bench", `t${i % 7}`] } }),
        priority: Math.floor(i / 20) % 10,
        status: "received" as const,
        createdAt: at,
        updatedAt: at,
        replicaVersion: 1,
        masterVersion: 1,
      };
    });
    await s.db.orm.insert(requests).values(rows);
    await s.db.orm.insert(requestEvents).values(rows.map((r) => ({ requestId: r.id, status: "received", at: r.createdAt, network: s.config.networkId, batchSequence: 1 })));
  }

  // Sign in through the console's form, as a browser would (CSRF cookie, Origin).
  const cookies = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const form = await fetch(`${server.url}/console/sign-in`);
  keep(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const signIn = await fetch(`${server.url}/console/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookieHeader(), origin: server.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, email: op.email, password: PASSWORD, next: "/console/queue" }),
  });
  keep(signIn);
  if (signIn.status !== 303 || !cookies.get("airlock_session")) throw new Error(`sign-in failed: ${signIn.status}`);

  const pct = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  };
  const cases = [
    { name: "first page (50 of all)", path: "/console/queue" },
    { name: "filtered (topic, priority ≥ 5, waiting ≥ 1 h)", path: "/console/queue?topic=topic-3&priority=5&age=60" },
  ];
  const lines = [
    `Queue page, ${N} queued requests, ${RUNS} loads each (Node ${process.version}, libSQL file):`,
    "",
    "| page | rows | server p50 | server p95 | server max | client p50 | client p95 |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const c of cases) {
    const serverMs: number[] = [];
    const client: number[] = [];
    let rows = 0;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t = performance.now();
      const res = await fetch(`${server.url}${c.path}`, { headers: { cookie: cookieHeader() } });
      const html = await res.text();
      const wall = performance.now() - t;
      if (res.status !== 200) throw new Error(`${c.path}: ${res.status}`);
      const dur = Number(/app;dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1]);
      rows = (html.match(/<tr>/g)?.length ?? 1) - 1;
      if (i >= WARMUP) {
        serverMs.push(dur);
        client.push(wall);
      }
    }
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    lines.push(`| ${c.name} | ${rows} | ${ms(pct(serverMs, 50))} | ${ms(pct(serverMs, 95))} | ${ms(Math.max(...serverMs))} | ${ms(pct(client, 50))} | ${ms(pct(client, 95))} |`);
  }
  console.log(lines.join("\n"));
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
