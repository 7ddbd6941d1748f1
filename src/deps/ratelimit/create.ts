import type { Config } from "../../config.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { RateLimiter } from "./ratelimit.ts";
import { MemoryRateLimiter } from "./memory.ts";
import { UpstashRateLimiter } from "./upstash.ts";
import { circuitBreaker } from "../breakers.ts";
import type { UpstashTransport } from "../upstash.ts";

/** Every rate-limit key starts with this: apart from anything else in a shared Redis. */
export const rateLimitNamespace = (networkId: string) => `airlock:${networkId}:rl:`;

/** Upstash-backed (behind a circuit breaker) when Upstash settings are given, else in memory (per process or isolate). */
export function createRateLimiter(config: Config, clock: Clock, logger?: Logger, transport?: UpstashTransport): RateLimiter {
  return config.upstash
    ? new UpstashRateLimiter({
        ...config.upstash,
        namespace: rateLimitNamespace(config.networkId),
        timeoutMs: config.rateLimits.timeoutMs,
        breaker: circuitBreaker("rate_limiter", clock, logger),
        transport,
      })
    : new MemoryRateLimiter(clock);
}
