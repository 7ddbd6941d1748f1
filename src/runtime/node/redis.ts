// The TCP connection to Redis behind the Upstash-compatible endpoint (src/upstash-endpoint/).
import type { RedisConnection } from "../../upstash-endpoint/app.ts";

/**
 * Connects node-redis in RESP 2: @upstash/redis only understands RESP 2 shaped replies.
 * The first connection must succeed (rejects otherwise, so a wrong REDIS_URL shows at start);
 * after that it reconnects forever. Offline queueing is off so requests fail fast (503) while
 * Redis is down instead of hanging.
 */
export async function connectRedis(url: string, opts: { onError?: (err: Error) => void; connectTimeoutMs?: number } = {}): Promise<RedisConnection> {
  const { createClient } = await import("redis");
  let connected = false;
  const client = createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: opts.connectTimeoutMs ?? 5_000,
      reconnectStrategy: (retries, cause) => (connected ? Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 100) : cause),
    },
  });
  // node-redis emits "error" on every failed reconnect; without a listener that crashes the process.
  client.on("error", opts.onError ?? (() => {}));
  await client.connect();
  connected = true;
  return client;
}
