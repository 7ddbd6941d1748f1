import type { Services } from "../services.ts";

/**
 * What a credential resolved to (an API key's row with its owner, a session's account state), kept
 * per process (per isolate on workerd) for a short time, so a request with a known credential needs
 * no query. Freshness:
 * - On the process (isolate) that makes a change (a user disabled or changed, a key revoked, a
 *   session ended, a batch carrying users or revocations imported), `forgetPrincipals` runs after the
 *   change is committed: the cache empties and its generation moves on, so a lookup that read the
 *   database before the change cannot store its older answer afterwards. The next request reads
 *   the database.
 * - Anywhere else (another process on the same database, another isolate): an entry is used for at
 *   most PRINCIPAL_CACHE_TTL_MS after it was read (by the services' clock), then read again.
 * Bounded: at most PRINCIPAL_CACHE_MAX entries, the least recently used go first.
 */
export const PRINCIPAL_CACHE_TTL_MS = 2_000;
export const PRINCIPAL_CACHE_MAX = 10_000;

export class PrincipalCache {
  private gen = 0;
  private entries = new Map<string, { value: unknown; expiresAt: number }>();

  constructor(private readonly max = PRINCIPAL_CACHE_MAX) {}

  /** Taken before a database read; `set` with an older one stores nothing. */
  get generation(): number {
    return this.gen;
  }

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string, now: number): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.expiresAt <= now) return undefined;
    this.entries.set(key, e); // re-inserted: Map order is the LRU order
    return e.value as T;
  }

  set(key: string, value: unknown, now: number, generation: number): void {
    if (generation !== this.gen) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + PRINCIPAL_CACHE_TTL_MS });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.gen++;
    this.entries.clear();
  }
}

// One per process (isolate), found from the services' database like the process metrics.
const caches = new WeakMap<object, PrincipalCache>();

export function principalCache(s: Pick<Services, "db">): PrincipalCache {
  let c = caches.get(s.db);
  if (!c) {
    c = new PrincipalCache();
    caches.set(s.db, c);
  }
  return c;
}

/** After a committed change to users, API keys or sessions: the next request reads them again. */
export function forgetPrincipals(s: Pick<Services, "db">): void {
  principalCache(s).clear();
}
