// Real Redis for tests. The shared server (REDIS_URL, or a local one on 6379) is used by many
// test files at once: never FLUSHALL/FLUSHDB it; give each test its own key prefix instead.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, Socket, type AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createClient } from "redis";
import { createUpstashEndpoint, type UpstashEndpointOptions } from "../../src/upstash-endpoint/app.ts";
import { connectRedis } from "../../src/runtime/node/redis.ts";
import { limiterScripts } from "../../src/deps/ratelimit/upstash.ts";

export interface RedisHandle {
  url: string;
  /** Stops the server if this helper started it; a no-op for an existing server. */
  stop(): Promise<void>;
}

export interface PrivateRedis extends RedisHandle {
  port: number;
  /** Stops the server (if running) and starts a fresh, empty one on the same port. */
  restart(): Promise<void>;
  /** SIGSTOP to this helper's own server: it keeps its connections but answers nothing (a hung Redis). */
  pause(): void;
  /** SIGCONT: it answers again, commands sent meanwhile included. */
  resume(): void;
}

export interface UpstashEndpointHandle {
  /** Base URL for `new Redis({ url, token })`. */
  url: string;
  token: string;
  /** What reached the endpoint since it started: TCP connections accepted, HTTP requests by path ("/", "/pipeline", ...). */
  seen: { connections: number; requests: Record<string, number> };
  close(): Promise<void>;
}

/** Requests of every path the endpoint has seen. */
export const requestsSeen = (ep: UpstashEndpointHandle) => Object.values(ep.seen.requests).reduce((a, b) => a + b, 0);

/** A key prefix no other test uses, e.g. "test:ratelimit:3f2c...:". */
export function uniquePrefix(label: string): string {
  return `test:${label}:${randomUUID()}:`;
}

/** Deletes every key under prefix (SCAN + UNLINK), the safe way to clean up on a shared server. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, RESP: 2 });
  client.on("error", () => {});
  await client.connect();
  try {
    const match = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    do {
      const [next, keys] = (await client.sendCommand(["SCAN", cursor, "MATCH", match, "COUNT", "1000"])) as [string, string[]];
      if (keys.length > 0) await client.sendCommand(["UNLINK", ...keys]);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    client.destroy();
  }
}

/** REDIS_URL if set, else redis://127.0.0.1:6379 if it answers PING, else a redis-server of our own. */
export async function getRedisUrl(): Promise<RedisHandle> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return { url: fromEnv, stop: async () => {} };
  const local = "redis://127.0.0.1:6379";
  if (await pings("127.0.0.1", 6379)) return { url: local, stop: async () => {} };
  const own = await startPrivateRedis();
  return { url: own.url, stop: own.stop };
}

/** Always a redis-server of its own on a free port: for tests that stop or restart Redis. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      let proc: ChildProcess | undefined = await spawnRedis(port);
      const handle: PrivateRedis = {
        url: `redis://127.0.0.1:${port}`,
        port,
        async stop() {
          if (proc) await kill(proc);
          proc = undefined;
        },
        async restart() {
          await handle.stop();
          proc = await spawnRedis(port);
        },
        pause() {
          if (!proc?.kill("SIGSTOP")) throw new Error("the private redis-server is not running");
        },
        resume() {
          if (!proc?.kill("SIGCONT")) throw new Error("the private redis-server is not running");
        },
      };
      return handle;
    } catch (err) {
      lastError = err; // most likely the port was taken between probing and binding; try another
    }
  }
  throw new Error(`could not start redis-server: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

/**
 * Serves the Upstash endpoint on 127.0.0.1 (free port, random token) in front of redisUrl,
 * allowing what production allows (Airlock's commands and the rate limiter's scripts) unless
 * `commands` / `scripts` say otherwise.
 */
export async function startUpstashEndpoint(redisUrl: string, options: Partial<Omit<UpstashEndpointOptions, "redis">> = {}): Promise<UpstashEndpointHandle> {
  const token = options.token ?? randomBytes(24).toString("base64url");
  const redis = await connectRedis(redisUrl);
  const app = createUpstashEndpoint({ ...options, scripts: options.scripts ?? (await limiterScripts()), redis, token });
  const seen: UpstashEndpointHandle["seen"] = { connections: 0, requests: {} };
  const counted = (req: Request) => {
    const path = new URL(req.url).pathname;
    seen.requests[path] = (seen.requests[path] ?? 0) + 1;
    return app.fetch(req);
  };
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const server = serve({ fetch: counted, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ server, port: info.port }));
  });
  server.on("connection", () => seen.connections++);
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    seen,
    async close() {
      // Keep-alive sockets from fetch would hold close() open; drop them.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.close().catch(() => redis.destroy());
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** True when host:port answers an inline PING with +PONG within a short timeout. */
function pings(host: string, port: number, timeoutMs = 300): Promise<boolean> {
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
    socket.connect(port, host, () => socket.write("PING\r\n"));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts redis-server without persistence and waits until it answers PING. */
async function spawnRedis(port: number): Promise<ChildProcess> {
  const proc = spawn("redis-server", ["--save", "", "--appendonly", "no", "--port", String(port), "--bind", "127.0.0.1"], {
    stdio: "ignore",
  });
  let exited: string | undefined;
  proc.once("exit", (code, signal) => (exited = `redis-server exited (${signal ?? code}) on port ${port}`));
  proc.once("error", (err) => (exited = `cannot run redis-server from PATH: ${err.message}`));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    if (await pings("127.0.0.1", port, 200)) return proc;
    await new Promise((r) => setTimeout(r, 50));
  }
  await kill(proc);
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    proc.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    proc.kill("SIGTERM");
  });
}
