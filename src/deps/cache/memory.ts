import type { Clock } from "../clock.ts";
import { globToRegExp, type Cache } from "./cache.ts";

/** In-memory cache for local development and tests: bounded (LRU), with TTLs. */
export class MemoryCache implements Cache {
  readonly kind = "memory" as const;
  private entries = new Map<string, { json: string; expiresAt: number }>();
  constructor(
    private clock: Clock,
    private maxEntries = 10_000,
  ) {}

  async get<T>(key: string): Promise<T | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(key);
      return null;
    }
    this.entries.delete(key); // re-insert: Map order is our LRU order
    this.entries.set(key, e);
    return JSON.parse(e.json) as T;
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { json: JSON.stringify(value), expiresAt: this.clock.now().getTime() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  async del(keys: string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.entries.delete(k)) n++;
    return n;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const re = globToRegExp(pattern);
    const now = this.clock.now().getTime();
    for (const [k, e] of [...this.entries]) if (e.expiresAt > now && re.test(k)) yield k;
  }

  async ping(): Promise<void> {}
}
