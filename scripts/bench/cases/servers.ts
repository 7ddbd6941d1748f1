// The servers several cases share, by key: started by the first case that asks, stopped by the
// runner after the last case that uses them.
import type { Ctx } from "../lib/context.ts";
import { type AirlockServer, startAirlock } from "../lib/airlock.ts";
import { type RedisServer, redisAvailable, startRedis, startUpstashEndpoint, type UpstashEndpoint } from "../lib/redis.ts";
import { Skip } from "../lib/context.ts";

export const airlockNode = (ctx: Ctx) =>
  ctx.shared<AirlockServer>(
    "airlock-node",
    () => startAirlock(ctx, "airlock-node", "node"),
    (a) => a.child.stop(),
  );

export const benchRedis = (ctx: Ctx) =>
  ctx.shared<RedisServer>(
    "redis",
    async () => {
      if (!redisAvailable()) throw new Skip("redis-server is not on PATH");
      return startRedis(ctx, "redis");
    },
    (r) => r.child.stop(),
  );

export const upstashEndpoint = (ctx: Ctx) =>
  ctx.shared<UpstashEndpoint>(
    "upstash-endpoint",
    async () => startUpstashEndpoint(ctx, "upstash-endpoint", (await benchRedis(ctx)).url),
    (e) => e.child.stop(),
  );

export const airlockRedis = (ctx: Ctx) =>
  ctx.shared<AirlockServer>(
    "airlock-redis",
    async () => {
      const e = await upstashEndpoint(ctx);
      return startAirlock(ctx, "airlock-redis", "node", { UPSTASH_REDIS_REST_URL: e.url, UPSTASH_REDIS_REST_TOKEN: e.token });
    },
    (a) => a.child.stop(),
  );
