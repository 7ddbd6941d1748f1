import type { CircuitBreaker } from "../../lib/breaker.ts";

/**
 * The rate limiter as the app sees it. Two implementations with the same
 * semantics: `upstash.ts` (@upstash/ratelimit's sliding window on Upstash
 * Redis, or on our Upstash-compatible endpoint in front of a local Redis) and
 * `memory.ts` (the same algorithm in the process, for development and tests).
 *
 * Algorithm: sliding window counter (two fixed buckets per window, the
 * previous one weighted by how much of it still overlaps the window):
 *
 *   used(now) = floor(previous × (1 − elapsed/window)) + current
 *
 * A request passes when used < limit, and then counts in `current`. The check
 * and the increment are one atomic step (one Lua script in Redis), so
 * concurrent requests never overshoot: at most `limit` requests pass per
 * bucket. Accuracy: the estimate assumes the previous bucket's requests were
 * spread evenly. In the worst case (all of the previous bucket's requests at
 * its very end) it under-counts, so up to ~2 × limit can pass in one sliding
 * 60 s span straddling a boundary, never more than `limit` in one bucket;
 * with evenly spread traffic the error is ~0 (Cloudflare measured 0.003 % of
 * requests wrongly allowed or refused over 400 M requests with this scheme).
 * Flooring the weighted previous count can let one extra request through.
 */

/** One quota window for one identity. `name` is part of the key, so it must stay paired with `seconds`. */
export interface QuotaWindow {
  name: string;
  limit: number;
  seconds: number;
}

export interface WindowState {
  name: string;
  limit: number;
  seconds: number;
  /** Requests left in this window after this one (0 when refused). */
  remaining: number;
  /** Whether this window let the request through. */
  allowed: boolean;
  /** End of the current bucket (ms since epoch). */
  resetAt: number;
  /** When refused: the earliest time (ms) at which one more request would pass, if nothing else is counted meanwhile. */
  retryAt?: number;
}

export interface LimitDecision {
  allowed: boolean;
  windows: WindowState[];
}

export interface LockoutState {
  /** Locked until this time (ms since epoch). */
  until: number;
  /** How many lockouts in a row (1 for the first); durations grow with it. */
  level: number;
}

/** Login lockouts: a lock with an expiry, and a level remembered for a while so repeated lockouts grow. */
export interface LockoutStore {
  get(subject: string): Promise<LockoutState | null>;
  /** Locks `subject` for base × 2^(level−1) seconds (at most max), raising its level; the level is forgotten after levelTtlSeconds. */
  lock(subject: string, opts: { baseSeconds: number; maxSeconds: number; levelTtlSeconds: number }): Promise<LockoutState>;
  /** Removes the lock and the level. */
  clear(subject: string): Promise<void>;
}

/** What went wrong talking to the limiter's backend, per isolate or process (see `counters`). */
export interface LimiterCounters {
  /** Backend calls that failed (error reply, refused connection, bad response). */
  errors: number;
  /** Backend calls that took longer than the timeout. */
  timeouts: number;
  /** Requests let through without a limit because the backend failed (AIRLOCK_RATE_LIMIT_ON_ERROR=open). */
  failed_open: number;
  /** Requests refused because the backend failed (AIRLOCK_RATE_LIMIT_ON_ERROR=closed). */
  failed_closed: number;
  last_error: string | null;
  last_error_at: string | null;
}

export interface RateLimiter {
  readonly kind: "memory" | "upstash";
  /**
   * Counts one request for `identity` in every window. All or nothing: when a
   * window refuses, the windows that counted it take it back, so a refused
   * request uses no quota. Throws RateLimiterUnavailable when the backend fails.
   */
  limit(identity: string, windows: QuotaWindow[]): Promise<LimitDecision>;
  /** The current use of every window, without counting. */
  peek(identity: string, windows: QuotaWindow[]): Promise<WindowState[]>;
  /** Forgets everything counted for `identity` in the named windows. */
  reset(identity: string, windows: ReadonlyArray<Pick<QuotaWindow, "name" | "seconds">>): Promise<void>;
  readonly lockouts: LockoutStore;
  /** Failure counters since start (mutable: the failure policy adds failed_open/failed_closed). */
  readonly counters: LimiterCounters;
  /** The circuit breaker in front of a backend that can fail (Upstash); none in memory. */
  readonly breaker?: CircuitBreaker;
}

/** The backend did not answer (error or timeout); the caller applies AIRLOCK_RATE_LIMIT_ON_ERROR. */
export class RateLimiterUnavailable extends Error {
  constructor(
    /** circuit_open: the backend was not even called (its breaker is open after repeated failures). */
    readonly reason: "timeout" | "error" | "circuit_open",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RateLimiterUnavailable";
  }
}

export function newCounters(): LimiterCounters {
  return { errors: 0, timeouts: 0, failed_open: 0, failed_closed: 0, last_error: null, last_error_at: null };
}

/** The bucket a time falls in, as @upstash/ratelimit numbers them: floor(ms / window ms). */
export const bucketOf = (nowMs: number, seconds: number) => Math.floor(nowMs / (seconds * 1000));

/** used(now) as the sliding-window Lua script computes it. */
export function slidingUsed(nowMs: number, seconds: number, current: number, previous: number): number {
  const windowMs = seconds * 1000;
  const fraction = (nowMs % windowMs) / windowMs;
  return Math.floor((1 - fraction) * previous) + current;
}

/**
 * The earliest time one more request passes, given the counts of bucket `bucket`
 * (current) and the one before (previous), if nothing else is counted meanwhile.
 * Within the bucket the weighted previous count shrinks; past it, `current`
 * becomes the previous bucket and shrinks in turn. Null when the limit is 0.
 */
export function slidingRetryAt(limit: number, seconds: number, bucket: number, current: number, previous: number): number | null {
  if (limit <= 0) return null;
  const windowMs = seconds * 1000;
  const start = bucket * windowMs;
  // Allowed at offset o of a bucket when floor((1 − o/W) × prev) + cur < limit ⇔ o > W × (1 − (limit − cur)/prev).
  const firstOffset = (cur: number, prev: number) => {
    if (prev <= 0) return 0;
    const x = 1 - (limit - cur) / prev;
    return x < 0 ? 0 : Math.floor(x * windowMs) + 1;
  };
  if (current < limit) return start + firstOffset(current, previous);
  return start + windowMs + firstOffset(0, current);
}

/** Lockout length for the n-th lockout in a row: base × 2^(level−1), at most max. */
export function lockoutSeconds(level: number, opts: { baseSeconds: number; maxSeconds: number }): number {
  return Math.min(opts.maxSeconds, opts.baseSeconds * 2 ** Math.min(Math.max(level, 1) - 1, 30));
}
