// The Worker entry bundled with esbuild and run in workerd by Miniflare, with real D1 and R2 and
// the real migrations: for a Node test that needs the request network on workerd beside Node and
// Deno (the workerd suite itself runs inside @cloudflare/vitest-pool-workers).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { migrationStatements } from "../../src/deps/db/migrate.ts";
import { readMigrations } from "../../src/runtime/node/files.ts";
import { ROOT } from "./spawn.ts";

const COMPATIBILITY_DATE = "2026-05-01";

let bundled: Promise<string> | undefined;

/** src/runtime/worker.ts as one ES module, built once per test process. */
function workerScript(): Promise<string> {
  bundled ??= (async () => {
    const out = await build({
      entryPoints: [join(ROOT, "src/runtime/worker.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["workerd", "worker"],
      write: false,
      logLevel: "silent",
    });
    return out.outputFiles[0].text;
  })();
  return bundled;
}

export interface RunningWorker {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** With `serve`: workerd's own HTTP listener on 127.0.0.1, for a browser. */
  url?: string;
  /** The Worker's D1 database, to seed rows a test needs (on the request network, imports write them). */
  d1: D1Database;
  close(): Promise<void>;
}

/** A request network on workerd with these settings (vars and secrets alike). */
export async function startWorker(bindings: Record<string, string>, opts: { serve?: boolean } = {}): Promise<RunningWorker> {
  const persist = await mkdtemp(join(tmpdir(), "airlock-workerd-"));
  const mf = new Miniflare({
    modules: true,
    script: await workerScript(),
    compatibilityDate: COMPATIBILITY_DATE,
    d1Databases: { DB: "airlock" },
    ...(opts.serve ? { host: "127.0.0.1", port: 0 } : {}),
    r2Buckets: ["BATCHES"],
    d1Persist: join(persist, "d1"),
    r2Persist: join(persist, "r2"),
    bindings: { NETWORK_ROLE: "request", AIRLOCK_NETWORK_ID: "airlock-request", AIRLOCK_PEER_NETWORK_ID: "airlock-response", AIRLOCK_LOG_LEVEL: "error", ...bindings },
  });
  const db = await mf.getD1Database("DB");
  for (const m of await readMigrations()) for (const sql of migrationStatements(m)) await db.prepare(sql).run();
  const url = opts.serve ? (await mf.ready).origin : undefined;
  return {
    url,
    d1: db as unknown as D1Database,
    fetch: (path, init) => mf.dispatchFetch(`http://airlock.test${path}`, init as never) as unknown as Promise<Response>,
    close: async () => {
      await mf.dispose();
      await rm(persist, { recursive: true, force: true });
    },
  };
}
