import type { Config } from "../../config.ts";
import type { Clock } from "../clock.ts";
import type { RateLimiter } from "./ratelimit.ts";
import { MemoryRateLimiter } from "./memory.ts";
import { UpstashRateLimiter } from "./upstash.ts";

/** Every rate-limit key starts with this: apart from anything else in a shared Redis. */
export const rateLimitNamespace = (networkId: string) => `airlock:${networkId}:rl:`;

/** Upstash-backed when Upstash settings are given, else in memory (per process or isolate). */
export function createRateLimiter(config: Config, clock: Clock): RateLimiter {
  return config.upstash
    ? new UpstashRateLimiter({ ...config.upstash, namespace: rateLimitNamespace(config.networkId), timeoutMs: config.rateLimits.timeoutMs })
    : new MemoryRateLimiter(clock);
}
