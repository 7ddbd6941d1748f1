// The cached read on Node with real Redis (the bench's redis-server) behind the
// Upstash-compatible endpoint in its own process: the cache and the limiter both in Redis.
import type { Case } from "../lib/context.ts";
import { measureCachedRead } from "../lib/airlock.ts";
import { airlockRedis } from "./servers.ts";

export const readRedis: Case = {
  id: "read-redis",
  label: "Airlock cached read, Node, real Redis via the Upstash-compatible endpoint",
  uses: ["airlock-redis", "upstash-endpoint", "redis"],
  async run(ctx) {
    await measureCachedRead(ctx, this, await airlockRedis(ctx));
  },
};
