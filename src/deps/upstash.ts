import { Redis } from "@upstash/redis";

/**
 * The one place an Upstash client is made (cache and rate limiter share the
 * settings): no automatic JSON, no client retries, and every call bounded by
 * its own timeout — a fresh signal per request, so an abort throws instead of
 * answering "Aborted" as a result.
 */
export function upstashClient(opts: { url: string; token: string }, timeoutMs: number): Redis {
  return new Redis({
    url: opts.url,
    token: opts.token,
    automaticDeserialization: false,
    enableAutoPipelining: true,
    readYourWrites: false,
    enableTelemetry: false,
    retry: { retries: 0 },
    signal: () => AbortSignal.timeout(timeoutMs),
  });
}
