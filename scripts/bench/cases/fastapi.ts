// The peer: FastAPI + uvicorn (one worker) + redis-py + SQLite doing the cached read's hot path
// (scripts/bench/peers/fastapi_peer.py), with Debian's python3, against the bench's redis-server.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Case, Skip } from "../lib/context.ts";
import { expectCacheHit } from "../lib/airlock.ts";
import { measureHttp } from "../lib/measure.ts";
import { freePort, startChild, waitForHttp } from "../lib/procs.ts";
import { airlockNode, benchRedis } from "./servers.ts";

export const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";

/** The versions of python3, fastapi, uvicorn and redis-py, or why the peer cannot run. */
export function pythonPeer(): { versions: Record<string, string> } | { missing: string } {
  if (!existsSync(PYTHON)) return { missing: `${PYTHON} not found (apt-get install python3 python3-fastapi python3-uvicorn python3-redis)` };
  try {
    const out = execFileSync(PYTHON, ["-c", "import sys, fastapi, uvicorn, redis; print(sys.version.split()[0], fastapi.__version__, uvicorn.__version__, redis.__version__)"], {
      encoding: "utf8",
      timeout: 15_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [python, fastapi, uvicorn, redis] = out.trim().split(" ");
    return { versions: { python, fastapi, uvicorn, "redis-py": redis } };
  } catch (e) {
    const msg = (e as { stderr?: string }).stderr?.trim().split("\n").at(-1) ?? String(e);
    return { missing: `${PYTHON} cannot import the peer's modules (${msg}); apt-get install python3-fastapi python3-uvicorn python3-redis` };
  }
}

export const fastapi: Case = {
  id: "fastapi",
  label: "FastAPI + uvicorn (1 worker) + redis-py + SQLite, same hot path",
  uses: ["airlock-node", "redis"],
  async run(ctx) {
    const peer = pythonPeer();
    if ("missing" in peer) throw new Skip(peer.missing);
    // The same bytes Airlock answers, so both send the same body.
    const airlock = await airlockNode(ctx);
    const body = await expectCacheHit(airlock);
    const redis = await benchRedis(ctx);
    const port = await freePort();
    const child = startChild(
      "fastapi",
      PYTHON,
      ["-m", "uvicorn", "fastapi_peer:app", "--app-dir", "scripts/bench/peers", "--host", "127.0.0.1", "--port", String(port), "--workers", "1"],
      {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          PYTHONDONTWRITEBYTECODE: "1",
          PEER_DB: join(ctx.tmp, "fastapi-peer.db"),
          PEER_REDIS_URL: redis.url,
          PEER_API_KEY: airlock.apiKey,
          PEER_REQUEST_ID: airlock.requestId,
          PEER_BODY: body,
        },
        cwd: ctx.root,
        logDir: ctx.logDir,
      },
    );
    try {
      const url = `http://127.0.0.1:${port}/v1/requests/${airlock.requestId}/response`;
      const headers = { "x-api-key": airlock.apiKey };
      await waitForHttp(url, child);
      const probe = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
      const text = await probe.text();
      if (probe.status !== 200 || text !== body) throw new Error(`the peer answered ${probe.status} ${text.slice(0, 200)}`);
      await measureHttp(ctx, this, { url, headers });
    } finally {
      await child.stop();
    }
  },
};
