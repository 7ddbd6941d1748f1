/**
 * The cache as the app sees it. Keys are given without the namespace; each
 * implementation prefixes them with `airlock:<network id>:` so clearing "all"
 * never touches anything else in a shared Redis.
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
