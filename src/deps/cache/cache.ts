import type { Config } from "../../config.ts";
import type { CircuitBreaker } from "../../lib/breaker.ts";

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
  /** The circuit breaker in front of a store that can fail (Upstash); none for memory. */
  readonly breaker?: CircuitBreaker;
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

type GlobToken = { star: true } | { star: false; test: (ch: string) => boolean };

/** A `[...]` class body (Redis: `^` negates, `a-z` ranges, `\` escapes). */
function classTest(body: string): (ch: string) => boolean {
  const negate = body.startsWith("^");
  const ranges: Array<[string, string]> = [];
  for (let i = negate ? 1 : 0; i < body.length; i++) {
    const lo = body[i] === "\\" && i + 1 < body.length ? body[++i] : body[i];
    if (body[i + 1] === "-" && i + 2 < body.length) {
      const escaped = body[i + 2] === "\\" && i + 3 < body.length;
      i += escaped ? 3 : 2;
      const hi = body[i];
      ranges.push(lo <= hi ? [lo, hi] : [hi, lo]);
    } else ranges.push([lo, lo]);
  }
  return (ch) => ranges.some(([lo, hi]) => ch >= lo && ch <= hi) !== negate;
}

/**
 * Glob match with Redis' `*`, `?`, `[...]` and `\` so the memory cache scans like Redis.
 * Runs the pattern as a set of positions over the key, one character at a time: time is
 * key length × pattern length, never the exponential backtracking a regular expression
 * with several `*` can take on a key that almost matches.
 */
export function globMatcher(pattern: string): (key: string) => boolean {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") {
      if (!tokens.at(-1)?.star) tokens.push({ star: true });
    } else if (ch === "?") tokens.push({ star: false, test: () => true });
    else if (ch === "[") {
      // As in Redis, a class without its `]` runs to the end of the pattern.
      let end = i + 1;
      while (end < pattern.length && pattern[end] !== "]") end += pattern[end] === "\\" ? 2 : 1;
      tokens.push({ star: false, test: classTest(pattern.slice(i + 1, Math.min(end, pattern.length))) });
      i = end;
    } else {
      const lit = ch === "\\" && i + 1 < pattern.length ? pattern[++i] : ch;
      tokens.push({ star: false, test: (c) => c === lit });
    }
  }
  const n = tokens.length;
  /** Adds position i and, across stars (which may match nothing), the positions after it. */
  const add = (set: Uint8Array, i: number) => {
    for (; i <= n && !set[i]; i++) {
      set[i] = 1;
      if (i === n || !tokens[i].star) break;
    }
  };
  return (key) => {
    let cur = new Uint8Array(n + 1);
    add(cur, 0);
    for (let k = 0; k < key.length; k++) {
      const next = new Uint8Array(n + 1);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!cur[i]) continue;
        const t = tokens[i];
        if (t.star) {
          add(next, i);
          any = true;
        } else if (t.test(key[k])) {
          add(next, i + 1);
          any = true;
        }
      }
      if (!any) return false;
      cur = next;
    }
    return cur[n] === 1;
  };
}

/** Settings the cache implementations read (passed in so this file stays free of imports with side effects). */
export type CacheSettings = Pick<Config, "networkId" | "upstash" | "cacheTimeoutMs">;
