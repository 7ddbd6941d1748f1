import { Redis } from "@upstash/redis";
import type { Cache } from "./cache.ts";

/** Upstash Redis (or our Upstash-compatible endpoint in front of a local Redis). */
export class UpstashCache implements Cache {
  readonly kind = "upstash" as const;
  readonly redis: Redis;
  constructor(
    opts: { url: string; token: string },
    private namespace: string,
  ) {
    this.redis = new Redis({ url: opts.url, token: opts.token, automaticDeserialization: false });
  }

  async get<T>(key: string): Promise<T | null> {
    const raw = await this.redis.get<string>(this.namespace + key);
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.namespace + key, JSON.stringify(value), { ex: ttlSeconds });
  }

  async del(keys: string[]): Promise<number> {
    if (!keys.length) return 0;
    return this.redis.del(...keys.map((k) => this.namespace + k));
  }

  async *scan(pattern: string): AsyncIterable<string> {
    let cursor: string | number = 0;
    do {
      const [next, keys]: [string | number, string[]] = await this.redis.scan(cursor, { match: this.namespace + pattern, count: 500 });
      for (const k of keys) yield k.slice(this.namespace.length);
      cursor = next;
    } while (String(cursor) !== "0");
  }

  async ping(): Promise<void> {
    const r = await this.redis.ping();
    if (r !== "PONG") throw new Error(`unexpected PING reply: ${r}`);
  }
}
