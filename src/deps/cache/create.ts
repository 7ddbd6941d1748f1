import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import { cacheNamespace, type Cache, type CacheSettings } from "./cache.ts";
import { MemoryCache } from "./memory.ts";
import { UpstashCache } from "./upstash.ts";
import { BreakerCache } from "./breaker.ts";
import { circuitBreaker } from "../breakers.ts";
import type { UpstashTransport } from "../upstash.ts";

/**
 * Upstash (or our endpoint in front of a local Redis) when configured, behind a circuit breaker;
 * else in memory (per process or isolate), which cannot fail.
 */
export function createCache(config: CacheSettings, clock: Clock, logger?: Logger, transport?: UpstashTransport): Cache {
  if (!config.upstash) return new MemoryCache(clock);
  return new BreakerCache(
    new UpstashCache(config.upstash, cacheNamespace(config.networkId), { timeoutMs: config.cacheTimeoutMs, transport }),
    circuitBreaker("cache", clock, logger),
  );
}
