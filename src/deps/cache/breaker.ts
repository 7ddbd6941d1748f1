import type { CircuitBreaker } from "../../lib/breaker.ts";
import type { Cache } from "./cache.ts";

/**
 * A cache behind a circuit breaker (src/lib/breaker.ts): every call goes through it, so once the
 * store has failed or timed out a few times in a row, calls fail at once with CircuitOpenError
 * (readers answer from the database) until a probe finds it answering again. The store's own
 * bound on each round trip (AIRLOCK_CACHE_TIMEOUT_MS) turns a hang into a failure.
 */
export class BreakerCache implements Cache {
  readonly kind: Cache["kind"];
  constructor(
    private readonly inner: Cache,
    readonly breaker: CircuitBreaker,
  ) {
    this.kind = inner.kind;
  }

  get<T>(key: string): Promise<T | null> {
    return this.breaker.run(() => this.inner.get<T>(key));
  }
  set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    return this.breaker.run(() => this.inner.set(key, value, ttlSeconds));
  }
  del(keys: string[]): Promise<number> {
    return this.breaker.run(() => this.inner.del(keys));
  }
  async *scan(pattern: string): AsyncIterable<string> {
    const it = this.inner.scan(pattern)[Symbol.asyncIterator]();
    while (true) {
      const r = await this.breaker.run(() => it.next());
      if (r.done) return;
      yield r.value;
    }
  }
  ping(): Promise<void> {
    return this.breaker.run(() => this.inner.ping());
  }
  sadd(key: string, members: string[], ttlSeconds: number): Promise<void> {
    return this.breaker.run(() => this.inner.sadd(key, members, ttlSeconds));
  }
  smembers(key: string): Promise<string[]> {
    return this.breaker.run(() => this.inner.smembers(key));
  }
  srem(key: string, members: string[]): Promise<number> {
    return this.breaker.run(() => this.inner.srem(key, members));
  }
  exists(keys: string[]): Promise<boolean[]> {
    return this.breaker.run(() => this.inner.exists(keys));
  }
  hincrby(key: string, field: string, by: number): Promise<number> {
    return this.breaker.run(() => this.inner.hincrby(key, field, by));
  }
  hsetnx(key: string, field: string, value: string): Promise<boolean> {
    return this.breaker.run(() => this.inner.hsetnx(key, field, value));
  }
  hgetall(key: string): Promise<Record<string, string>> {
    return this.breaker.run(() => this.inner.hgetall(key));
  }
}
