/**
 * Upstash-compatible REST endpoint in front of a local Redis, for networks that cannot reach
 * Upstash's cloud. Point `new Redis({ url, token })` (and @upstash/ratelimit) at it.
 *
 *   UPSTASH_ENDPOINT_TOKEN=... npx tsx scripts/upstash-endpoint.ts
 *
 * Env: UPSTASH_ENDPOINT_TOKEN (required, at least 32 characters), REDIS_URL (default
 *      redis://127.0.0.1:6379), PORT (default 8079), HOST (default 127.0.0.1).
 * It allows exactly the commands Airlock's cache and rate limiter send, and only the rate
 * limiter's Lua scripts (src/upstash-endpoint/commands.ts); everything else is refused.
 * The endpoint speaks plain HTTP: put TLS in front of it before exposing it beyond localhost.
 */
import process from "node:process";
import { serve } from "@hono/node-server";
import { consoleLogger } from "../src/deps/logger.ts";
import { createUpstashEndpoint } from "../src/upstash-endpoint/app.ts";
import { MIN_TOKEN_LENGTH } from "../src/upstash-endpoint/commands.ts";
import { connectRedis } from "../src/runtime/node/redis.ts";
import { limiterScripts } from "../src/deps/ratelimit/upstash.ts";

const log = consoleLogger("info", { component: "upstash-endpoint" });

const token = process.env.UPSTASH_ENDPOINT_TOKEN ?? "";
if (!token.trim()) {
  console.error("UPSTASH_ENDPOINT_TOKEN is not set: refusing to start an unauthenticated endpoint. Set it to a long random secret.");
  process.exit(1);
}
if (token.length < MIN_TOKEN_LENGTH) {
  console.error(`UPSTASH_ENDPOINT_TOKEN is ${token.length} characters: it must be at least ${MIN_TOKEN_LENGTH} (a long random secret, e.g. openssl rand -base64 32).`);
  process.exit(1);
}
const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const port = Number(process.env.PORT || 8079);
const host = process.env.HOST || "127.0.0.1";
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

/** The Redis URL without its password, for logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

let lastRedisError = "";
const redis = await connectRedis(redisUrl, {
  // Log each distinct error once, not on every reconnect attempt.
  onError: (err) => {
    if (err.message === lastRedisError) return;
    lastRedisError = err.message;
    log.log("warn", "redis connection error", { error: err.message });
  },
}).catch((err: unknown) => {
  console.error(`cannot connect to Redis at ${safeUrl(redisUrl)}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

const app = createUpstashEndpoint({ redis, token, scripts: await limiterScripts() });
const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
  log.log("info", "listening", { url: `http://${host}:${info.port}`, redis: safeUrl(redisUrl) });
});

let closing = false;
function shutdown(signal: string): void {
  if (closing) return;
  closing = true;
  log.log("info", "shutting down", { signal });
  // Idle keep-alive sockets would keep close() waiting.
  (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  server.close(() => {
    redis
      .close()
      .catch(() => redis.destroy())
      .finally(() => process.exit(0));
  });
  // In-flight requests get a few seconds, then we leave anyway.
  setTimeout(() => process.exit(0), 5_000).unref();
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
