// The bench's own redis-server (on a free port, no persistence) and the Upstash-compatible
// endpoint in front of it (scripts/upstash-endpoint.ts, its own process), both on 127.0.0.1.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Socket } from "node:net";
import type { Ctx } from "./context.ts";
import { type Child, freePort, startChild, waitForHttp } from "./procs.ts";

export interface RedisServer {
  port: number;
  url: string;
  child: Child;
}

/** True when `redis-server` can be run. */
export function redisAvailable(): string | null {
  try {
    return execFileSync("redis-server", ["--version"], { encoding: "utf8", timeout: 5_000 }).match(/v=(\S+)/)?.[1] ?? "unknown";
  } catch {
    return null;
  }
}

export function ping(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let buf = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.on("data", (d) => {
      buf += d.toString("latin1");
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
  });
}

export async function startRedis(ctx: Ctx, name: string): Promise<RedisServer> {
  const port = await freePort();
  const child = startChild(name, "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    env: { PATH: process.env.PATH ?? "" },
    cwd: ctx.tmp,
    logDir: ctx.logDir,
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) break;
    if (await ping(port, 200)) return { port, url: `redis://127.0.0.1:${port}`, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  await child.stop();
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${child.tail()}`);
}

export interface UpstashEndpoint {
  url: string;
  token: string;
  child: Child;
}

export async function startUpstashEndpoint(ctx: Ctx, name: string, redisUrl: string): Promise<UpstashEndpoint> {
  const port = await freePort();
  const token = randomBytes(32).toString("base64url");
  const child = startChild(name, process.execPath, ["--import", "tsx", "scripts/upstash-endpoint.ts"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", UPSTASH_ENDPOINT_TOKEN: token, REDIS_URL: redisUrl, PORT: String(port), HOST: "127.0.0.1" },
    cwd: ctx.root,
    logDir: ctx.logDir,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url, child, 60_000);
  return { url, token, child };
}
