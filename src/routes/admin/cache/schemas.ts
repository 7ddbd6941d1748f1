import { z } from "@hono/zod-openapi";
import { PATTERN_RE } from "../../../requests/response-cache.ts";

export const CacheStatsSchema = z
  .object({
    store: z.enum(["memory", "upstash"]),
    namespace: z.string().openapi({ description: "The prefix every cache key of this network starts with" }),
    ttl_seconds: z.number().int(),
    since: z.string().openapi({ description: "Since when hits and misses are counted" }),
    reads: z.number().int().nullable(),
    hits: z.number().int().nullable(),
    misses: z.number().int().nullable(),
    stale: z.number().int().nullable().openapi({ description: "Entries found but older than the database's version (replaced)" }),
    hit_ratio: z.number().nullable(),
    errors: z.number().int().openapi({ description: "Failed or timed-out cache operations in this process (reads were answered from the database)" }),
    errors_since: z.string(),
    last_error: z.object({ at: z.string(), op: z.string(), message: z.string() }).nullable(),
    keys: z.object({ responses: z.number().int(), user_indexes: z.number().int(), other: z.number().int(), truncated: z.boolean() }).nullable(),
    available: z.boolean().openapi({ description: "false when the store could not be read (counters and keys are then null)" }),
  })
  .openapi("CacheStats");

export const CacheHealthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    store: z.enum(["memory", "upstash"]),
    latency_ms: z.number(),
    timeout_ms: z.number().int(),
    error: z.string().nullable(),
    checked_at: z.string(),
  })
  .openapi("CacheHealth");

export const CacheClearedSchema = z.object({ deleted: z.number().int(), scope: z.string() }).openapi("CacheCleared");

export const InvalidateSchema = z
  .object({
    pattern: z
      .string()
      .regex(PATTERN_RE, "1 to 200 characters: letters, digits, _ - : . and the glob characters * ? [ ]")
      .openapi({ description: "Glob (Redis MATCH syntax) relative to the cache namespace, e.g. `resp:req_01J*`", example: "resp:req_01J*" }),
  })
  .strict()
  .openapi("CacheInvalidate");
