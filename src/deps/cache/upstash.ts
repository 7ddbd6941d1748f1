import type { Redis } from "@upstash/redis";
import { upstashClient, type UpstashTransport } from "../upstash.ts";
import type { Cache } from "./cache.ts";

export interface UpstashCacheOptions {
  /**
   * Longest one HTTP round trip may take (AIRLOCK_CACHE_TIMEOUT_MS); past it the
   * call throws and the caller falls back to the database. Default 200 ms.
   */
  timeoutMs?: number;
  /** How requests travel (src/deps/upstash.ts); default fetch. */
  transport?: UpstashTransport;
}

/**
 * Upstash Redis (or our Upstash-compatible endpoint in front of a local Redis).
 *
 * - Every fetch carries a fresh `AbortSignal.timeout`, and the client does not
 *   retry: a slow or unreachable Redis costs a read at most the bound.
 * - Commands issued together (`Promise.all`) travel in one HTTP round trip
 *   (src/deps/upstash.ts), so a read and its counter, or an entry and its
 *   index, cost one request.
 */
export class UpstashCache implements Cache {
  readonly kind = "upstash" as const;
  readonly redis: Redis;
  constructor(
    opts: { url: string; token: string },
    private namespace: string,
    options: UpstashCacheOptions = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 200;
    this.redis = upstashClient(opts, timeoutMs, options.transport);
  }

  private k(key: string) {
    return this.namespace + key;
  }

  async get<T>(key: string): Promise<T | null> {
    const raw = await this.redis.get<string>(this.k(key));
    return raw === null || raw === undefined ? null : (JSON.parse(raw) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k(key), JSON.stringify(value), { ex: ttlSeconds });
  }

  async del(keys: string[]): Promise<number> {
    let n = 0;
    // UNLINK frees memory off the main thread; chunks keep each command small.
    for (let i = 0; i < keys.length; i += 500) n += await this.redis.unlink(...keys.slice(i, i + 500).map((k) => this.k(k)));
    return n;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    // SCAN walks the whole keyspace, whoever's keys they are, one HTTP round trip per page: pages
    // of 5,000 (a millisecond or two of Redis' time) keep the dashboard's key count to a few dozen
    // round trips on a Redis holding hundreds of thousands of keys.
    let cursor: string | number = 0;
    do {
      const [next, keys]: [string | number, string[]] = await this.redis.scan(cursor, { match: this.namespace + pattern, count: 5_000 });
      for (const k of keys) yield k.slice(this.namespace.length);
      cursor = next;
    } while (String(cursor) !== "0");
  }

  async ping(): Promise<void> {
    const r = await this.redis.ping();
    if (r !== "PONG") throw new Error(`unexpected PING reply: ${r}`);
  }

  async sadd(key: string, members: string[], ttlSeconds: number): Promise<void> {
    if (!members.length) return;
    const [first, ...rest] = members;
    await Promise.all([this.redis.sadd(this.k(key), first, ...rest), this.redis.expire(this.k(key), ttlSeconds)]);
  }

  async smembers(key: string): Promise<string[]> {
    return ((await this.redis.smembers(this.k(key))) ?? []) as string[];
  }

  async srem(key: string, members: string[]): Promise<number> {
    if (!members.length) return 0;
    return this.redis.srem(this.k(key), ...members);
  }

  async exists(keys: string[]): Promise<boolean[]> {
    const counts = await Promise.all(keys.map((k) => this.redis.exists(this.k(k))));
    return counts.map((n) => Number(n) > 0);
  }

  async hincrby(key: string, field: string, by: number): Promise<number> {
    return Number(await this.redis.hincrby(this.k(key), field, by));
  }

  async hsetnx(key: string, field: string, value: string): Promise<boolean> {
    return Number(await this.redis.hsetnx(this.k(key), field, value)) === 1;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    // Without automatic deserialization the reply is Redis' flat [field, value, …] list.
    const raw = (await this.redis.hgetall(this.k(key))) as unknown;
    if (!raw) return {};
    if (Array.isArray(raw)) {
      const out: Record<string, string> = {};
      for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = String(raw[i + 1]);
      return out;
    }
    return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([f, v]) => [f, String(v)]));
  }
}
