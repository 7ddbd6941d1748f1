import type { Clock } from "../clock.ts";
import {
  bucketOf,
  lockoutSeconds,
  newCounters,
  slidingRetryAt,
  slidingUsed,
  type LimitDecision,
  type LimiterCounters,
  type LockoutState,
  type LockoutStore,
  type QuotaWindow,
  type RateLimiter,
  type WindowState,
} from "./ratelimit.ts";

/** Above this many keys, expired ones are swept; still above, the oldest go (it is a development limiter). */
const MAX_KEYS = 100_000;

/**
 * The sliding-window limiter of `ratelimit.ts`, in this process (or isolate):
 * the same buckets, the same weighting and the same answers as the Upstash one,
 * but nothing is shared between processes. JavaScript runs one request's
 * check-and-count without interruption, which makes it atomic here.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = "memory" as const;
  readonly counters: LimiterCounters = newCounters();
  readonly lockouts: LockoutStore;
  /** key → count, with the time the bucket stops mattering. */
  private buckets = new Map<string, { count: number; expiresAt: number }>();

  constructor(private clock: Clock) {
    this.lockouts = new MemoryLockouts(clock);
  }

  private key = (name: string, identity: string, bucket: number) => `${name}:${identity}:${bucket}`;

  private get(key: string, now: number): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    if (b.expiresAt <= now) {
      this.buckets.delete(key);
      return 0;
    }
    return b.count;
  }

  private add(key: string, by: number, now: number, seconds: number) {
    const b = this.buckets.get(key);
    if (b && b.expiresAt > now) b.count += by;
    else {
      // Like the Lua script: a bucket lives two windows and a second, long enough to be someone's previous.
      this.buckets.set(key, { count: by, expiresAt: now + seconds * 2000 + 1000 });
      if (this.buckets.size > MAX_KEYS) this.sweep(now);
    }
  }

  private sweep(now: number) {
    for (const [k, b] of this.buckets) if (b.expiresAt <= now) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= MAX_KEYS) break;
      this.buckets.delete(k);
    }
  }

  private state(identity: string, w: QuotaWindow, now: number) {
    const bucket = bucketOf(now, w.seconds);
    const current = this.get(this.key(w.name, identity, bucket), now);
    const previous = this.get(this.key(w.name, identity, bucket - 1), now);
    return { bucket, current, previous, used: slidingUsed(now, w.seconds, current, previous) };
  }

  async limit(identity: string, windows: QuotaWindow[]): Promise<LimitDecision> {
    const now = this.clock.now().getTime();
    const states = windows.map((w) => ({ w, ...this.state(identity, w, now) }));
    const allowed = states.every((s) => s.used < s.w.limit);
    const out: WindowState[] = states.map(({ w, bucket, current, previous, used }) => {
      const resetAt = (bucket + 1) * w.seconds * 1000;
      if (!allowed) {
        // Nothing is counted anywhere; refused windows say when they reopen.
        if (used < w.limit) return { name: w.name, limit: w.limit, seconds: w.seconds, remaining: w.limit - used, allowed: true, resetAt };
        const retryAt = slidingRetryAt(w.limit, w.seconds, bucket, current, previous) ?? resetAt + w.seconds * 1000;
        return { name: w.name, limit: w.limit, seconds: w.seconds, remaining: 0, allowed: false, resetAt, retryAt };
      }
      this.add(this.key(w.name, identity, bucket), 1, now, w.seconds);
      return { name: w.name, limit: w.limit, seconds: w.seconds, remaining: Math.max(0, w.limit - used - 1), allowed: true, resetAt };
    });
    return { allowed, windows: out };
  }

  async peek(identity: string, windows: QuotaWindow[]): Promise<WindowState[]> {
    const now = this.clock.now().getTime();
    return windows.map((w) => {
      const { bucket, used } = this.state(identity, w, now);
      return { name: w.name, limit: w.limit, seconds: w.seconds, remaining: Math.max(0, w.limit - used), allowed: used < w.limit, resetAt: (bucket + 1) * w.seconds * 1000 };
    });
  }

  async reset(identity: string, windows: ReadonlyArray<Pick<QuotaWindow, "name" | "seconds">>): Promise<void> {
    const now = this.clock.now().getTime();
    for (const w of windows) {
      const bucket = bucketOf(now, w.seconds);
      for (const b of [bucket - 1, bucket, bucket + 1]) this.buckets.delete(this.key(w.name, identity, b));
    }
  }
}

class MemoryLockouts implements LockoutStore {
  private locks = new Map<string, number>();
  private levels = new Map<string, { level: number; expiresAt: number }>();
  constructor(private clock: Clock) {}

  async get(subject: string): Promise<LockoutState | null> {
    const now = this.clock.now().getTime();
    const until = this.locks.get(subject);
    if (until === undefined) return null;
    if (until <= now) {
      this.locks.delete(subject);
      return null;
    }
    const l = this.levels.get(subject);
    return { until, level: l && l.expiresAt > now ? l.level : 1 };
  }

  async lock(subject: string, opts: { baseSeconds: number; maxSeconds: number; levelTtlSeconds: number }): Promise<LockoutState> {
    const now = this.clock.now().getTime();
    const prev = this.levels.get(subject);
    const level = (prev && prev.expiresAt > now ? prev.level : 0) + 1;
    this.levels.set(subject, { level, expiresAt: now + opts.levelTtlSeconds * 1000 });
    const until = now + lockoutSeconds(level, opts) * 1000;
    this.locks.set(subject, until);
    if (this.locks.size > MAX_KEYS) for (const [k, u] of this.locks) if (u <= now) this.locks.delete(k);
    if (this.levels.size > MAX_KEYS) for (const [k, l] of this.levels) if (l.expiresAt <= now) this.levels.delete(k);
    return { until, level };
  }

  async clear(subject: string): Promise<void> {
    this.locks.delete(subject);
    this.levels.delete(subject);
  }
}
