import type { Clock } from "../clock.ts";
import { cacheNamespace, type Cache, type CacheSettings } from "./cache.ts";
import { MemoryCache } from "./memory.ts";
import { UpstashCache } from "./upstash.ts";

/** Upstash (or our endpoint in front of a local Redis) when configured, else in memory (per process or isolate). */
export function createCache(config: CacheSettings, clock: Clock): Cache {
  return config.upstash ? new UpstashCache(config.upstash, cacheNamespace(config.networkId), { timeoutMs: config.cacheTimeoutMs }) : new MemoryCache(clock);
}
