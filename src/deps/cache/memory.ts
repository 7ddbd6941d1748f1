import type { Clock } from "../clock.ts";
import { globMatcher, type Cache } from "./cache.ts";

type Value = { type: "string"; json: string } | { type: "set"; members: Set<string> } | { type: "hash"; fields: Map<string, string> };
type Entry = { value: Value; expiresAt: number };

class WrongType extends Error {
  constructor() {
    super("WRONGTYPE Operation against a key holding the wrong kind of value");
  }
}

/**
 * In-memory cache for local development and tests: bounded (LRU over all keys),
 * with TTLs, and the same string/set/hash semantics as Redis. Per process (or
 * per isolate on Workers): not shared, so not for production on Workers.
 */
export class MemoryCache implements Cache {
  readonly kind = "memory" as const;
  private entries = new Map<string, Entry>();
  constructor(
    private clock: Clock,
    private maxEntries = 10_000,
  ) {}

  private now() {
    return this.clock.now().getTime();
  }

  /** The live entry (expired ones are dropped), touched for LRU. */
  private entry(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key); // re-insert: Map order is our LRU order
    this.entries.set(key, e);
    return e;
  }

  private put(key: string, e: Entry) {
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  async get<T>(key: string): Promise<T | null> {
    const e = this.entry(key);
    if (!e) return null;
    if (e.value.type !== "string") throw new WrongType();
    return JSON.parse(e.value.json) as T;
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.put(key, { value: { type: "string", json: JSON.stringify(value) }, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async del(keys: string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.entry(k) && this.entries.delete(k)) n++;
    return n;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const matches = globMatcher(pattern);
    const now = this.now();
    for (const [k, e] of [...this.entries]) if (e.expiresAt > now && matches(k)) yield k;
  }

  async ping(): Promise<void> {}

  async sadd(key: string, members: string[], ttlSeconds: number): Promise<void> {
    const e = this.entry(key);
    if (e && e.value.type !== "set") throw new WrongType();
    const set = e?.value.type === "set" ? e.value.members : new Set<string>();
    for (const m of members) set.add(m);
    this.put(key, { value: { type: "set", members: set }, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async smembers(key: string): Promise<string[]> {
    const e = this.entry(key);
    if (!e) return [];
    if (e.value.type !== "set") throw new WrongType();
    return [...e.value.members];
  }

  async srem(key: string, members: string[]): Promise<number> {
    const e = this.entry(key);
    if (!e) return 0;
    if (e.value.type !== "set") throw new WrongType();
    let n = 0;
    for (const m of members) if (e.value.members.delete(m)) n++;
    if (e.value.members.size === 0) this.entries.delete(key); // like Redis: an empty set does not exist
    return n;
  }

  async exists(keys: string[]): Promise<boolean[]> {
    const now = this.now();
    return keys.map((k) => {
      const e = this.entries.get(k);
      return !!e && e.expiresAt > now;
    });
  }

  private hash(key: string): Map<string, string> {
    const e = this.entry(key);
    if (e && e.value.type !== "hash") throw new WrongType();
    if (e?.value.type === "hash") return e.value.fields;
    const fields = new Map<string, string>();
    this.put(key, { value: { type: "hash", fields }, expiresAt: Number.POSITIVE_INFINITY });
    return fields;
  }

  async hincrby(key: string, field: string, by: number): Promise<number> {
    const h = this.hash(key);
    const next = Number(h.get(field) ?? 0) + by;
    h.set(field, String(next));
    return next;
  }

  async hsetnx(key: string, field: string, value: string): Promise<boolean> {
    const h = this.hash(key);
    if (h.has(field)) return false;
    h.set(field, value);
    return true;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const e = this.entry(key);
    if (!e) return {};
    if (e.value.type !== "hash") throw new WrongType();
    return Object.fromEntries(e.value.fields);
  }
}
