import type { Config } from "../../config.ts";

/**
 * The cache as the app sees it. Keys are given without the namespace; each
 * implementation prefixes them with `airlock:<network id>:` so clearing "all"
 * never touches anything else in a shared Redis.
 *
 * Strings hold JSON values; sets and hashes exist for the per-user indexes and
 * the shared hit/miss counters (docs/requests.md "Cache").
 */
export interface Cache {
  readonly kind: "memory" | "upstash";
  get<T = unknown>(key: string): Promise<T | null>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Deletes keys; answers how many existed. */
  del(keys: string[]): Promise<number>;
  /** Keys (without namespace) matching a glob pattern, found with SCAN, never KEYS. */
  scan(pattern: string): AsyncIterable<string>;
  ping(): Promise<void>;
  /** Adds members to a set and (re)sets the set's time to live. */
  sadd(key: string, members: string[], ttlSeconds: number): Promise<void>;
  smembers(key: string): Promise<string[]>;
  /** Removes members from a set; answers how many were there. */
  srem(key: string, members: string[]): Promise<number>;
  /** Whether each key exists, in order. */
  exists(keys: string[]): Promise<boolean[]>;
  /** Adds `by` to a hash field (created at 0); answers the new value. */
  hincrby(key: string, field: string, by: number): Promise<number>;
  /** Sets a hash field only when it is absent; answers whether it was set. */
  hsetnx(key: string, field: string, value: string): Promise<boolean>;
  /** Every field of a hash ({} when the hash does not exist). */
  hgetall(key: string): Promise<Record<string, string>>;
}

export const cacheNamespace = (networkId: string) => `airlock:${networkId}:`;

/** Glob match with Redis' `*`, `?` and `[...]` so the memory cache scans like Redis. */
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\" && i + 1 < pattern.length) re += "\\" + pattern[++i];
    else if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += "[" + pattern.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/** Settings the cache implementations read (passed in so this file stays free of imports with side effects). */
export type CacheSettings = Pick<Config, "networkId" | "upstash" | "cacheTimeoutMs">;
