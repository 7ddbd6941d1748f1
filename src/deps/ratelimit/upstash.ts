import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import { upstashClient, type UpstashTransport } from "../upstash.ts";
import { CircuitOpenError, type CircuitBreaker } from "../../lib/breaker.ts";
import {
  bucketOf,
  lockoutSeconds,
  newCounters,
  RateLimiterUnavailable,
  slidingRetryAt,
  type LimitDecision,
  type LimiterCounters,
  type LockoutState,
  type LockoutStore,
  type QuotaWindow,
  type RateLimiter,
  type WindowState,
} from "./ratelimit.ts";

export interface UpstashLimiterOptions {
  url: string;
  token: string;
  /** Every key starts with this, e.g. "airlock:<network id>:rl:". */
  namespace: string;
  /** Longest a decision may take before it counts as a failure (AIRLOCK_RATE_LIMIT_TIMEOUT_MS). */
  timeoutMs: number;
  /** Every backend step goes through it: after repeated failures they fail at once (circuit_open). */
  breaker?: CircuitBreaker;
  /** How requests travel (src/deps/upstash.ts); default fetch. */
  transport?: UpstashTransport;
}

/**
 * @upstash/ratelimit's `slidingWindow` (see ratelimit.ts for the algorithm and
 * its accuracy) on Upstash Redis or our Upstash-compatible endpoint.
 *
 * - One Ratelimit instance per window (and per distinct quota, created on first
 *   use: the quota is an argument of the Lua script, not part of the key, so
 *   instances of one window share the counts and an override applies at once).
 *   Keys: `<namespace><window>:<identity>:<bucket>`.
 * - The library's own `timeout` answers `success: true, reason: "timeout"`, a
 *   silent fail-open; it is switched off (0) and replaced by ours, which throws
 *   RateLimiterUnavailable so the caller applies AIRLOCK_RATE_LIMIT_ON_ERROR.
 *   Every fetch also carries an AbortSignal with the same bound, and the
 *   client does not retry (a retry would blow the bound).
 * - `ephemeralCache: false`: the library's per-isolate "blocked until" cache
 *   would keep refusing an identity after an admin reset.
 * - The three windows' scripts run in one HTTP round trip (src/deps/upstash.ts
 *   sends commands issued together as one pipeline).
 * - When a window refuses, the windows that counted the request take it back
 *   (`rate: -1`, the library's refund), and the refused windows' two bucket
 *   counts are read to compute when a request will pass again: the library's
 *   `reset` is the end of the current bucket, which for a sliding window can be
 *   too early (the previous bucket still weighs on the next one).
 * - Reset deletes the identity's buckets by name. The library's
 *   `resetUsedTokens` SCANs the whole keyspace inside one Lua script, which
 *   blocks a shared Redis for as long as that takes.
 */
export class UpstashRateLimiter implements RateLimiter {
  readonly kind = "upstash" as const;
  readonly counters: LimiterCounters = newCounters();
  readonly lockouts: LockoutStore;
  readonly redis: Redis;
  private instances = new Map<string, Ratelimit>();

  readonly breaker?: CircuitBreaker;

  constructor(private opts: UpstashLimiterOptions) {
    this.breaker = opts.breaker;
    this.redis = upstashClient(opts, opts.timeoutMs, opts.transport);
    this.lockouts = new UpstashLockouts(this.redis, opts.namespace, (what, fn) => this.call(what, fn));
  }

  private instance(w: QuotaWindow): Ratelimit {
    const id = `${w.name}:${w.seconds}:${w.limit}`;
    let rl = this.instances.get(id);
    if (!rl) {
      rl = slidingWindowLimiter(this.redis, this.opts.namespace + w.name, w);
      this.instances.set(id, rl);
    }
    return rl;
  }

  /** The library's key of one bucket (`[prefix, identifier].join(":")` then `:<bucket>`). */
  private key = (w: Pick<QuotaWindow, "name">, identity: string, bucket: number) => `${this.opts.namespace}${w.name}:${identity}:${bucket}`;

  /** One backend step through the breaker: while it is open the step fails at once, uncounted here (the breaker counts). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (!this.breaker) return this.bounded(what, fn);
    try {
      return await this.breaker.run(() => this.bounded(what, fn));
    } catch (e) {
      if (e instanceof CircuitOpenError) throw new RateLimiterUnavailable("circuit_open", `rate limiter ${what}: circuit open, backend not called`, { cause: e });
      throw e;
    }
  }

  /** Runs one backend step within the timeout; any failure is counted and becomes RateLimiterUnavailable. */
  private async bounded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const work = fn();
    work.catch(() => {}); // it may still fail after we gave up on it
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RateLimiterUnavailable("timeout", `rate limiter ${what}: no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
        }),
      ]);
    } catch (e) {
      const err =
        e instanceof RateLimiterUnavailable
          ? e
          : isTimeout(e)
            ? new RateLimiterUnavailable("timeout", `rate limiter ${what}: no answer within ${this.opts.timeoutMs} ms`, { cause: e })
            : new RateLimiterUnavailable("error", `rate limiter ${what}: ${brief(e)}`, { cause: e });
      if (err.reason === "timeout") this.counters.timeouts++;
      else this.counters.errors++;
      this.counters.last_error = err.message;
      this.counters.last_error_at = new Date().toISOString();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async limit(identity: string, windows: QuotaWindow[]): Promise<LimitDecision> {
    const results = await this.call("limit", () => Promise.all(windows.map((w) => this.instance(w).limit(identity))));
    // Never trust a "timeout" answer as success (our timeout is off in the library; this guards a future default).
    if (results.some((r) => r.reason === "timeout")) {
      this.counters.timeouts++;
      throw new RateLimiterUnavailable("timeout", "rate limiter limit: the library reported a timeout");
    }
    const allowed = results.every((r) => r.success);
    const states: WindowState[] = windows.map((w, i) => ({
      name: w.name,
      limit: w.limit,
      seconds: w.seconds,
      remaining: results[i].remaining,
      allowed: results[i].success,
      resetAt: results[i].reset,
    }));
    if (allowed) return { allowed, windows: states };

    // Refused: give back what the other windows counted, and find when each refused window reopens.
    const refused = states.filter((s) => !s.allowed);
    const keys = refused.flatMap((s) => {
      const bucket = s.resetAt / (s.seconds * 1000) - 1; // the bucket the script used
      return [this.key(s, identity, bucket), this.key(s, identity, bucket - 1)];
    });
    try {
      const [, counts] = await this.call("refund", () =>
        Promise.all([
          Promise.all(windows.map((w, i) => (results[i].success ? this.instance(w).limit(identity, { rate: -1 }) : null))),
          this.redis.mget<(string | null)[]>(...keys),
        ]),
      );
      refused.forEach((s, i) => {
        const bucket = s.resetAt / (s.seconds * 1000) - 1;
        s.retryAt = slidingRetryAt(s.limit, s.seconds, bucket, Number(counts[2 * i] ?? 0), Number(counts[2 * i + 1] ?? 0)) ?? s.resetAt + s.seconds * 1000;
      });
    } catch {
      // Counted already; the decision stands. Without the counts, the safe answer is "after the next bucket too".
      for (const s of refused) s.retryAt = s.resetAt + s.seconds * 1000;
    }
    for (const s of states) if (s.allowed) s.remaining = Math.min(s.limit, s.remaining + 1); // taken back
    return { allowed, windows: states };
  }

  async peek(identity: string, windows: QuotaWindow[]): Promise<WindowState[]> {
    const results = await this.call("peek", () => Promise.all(windows.map((w) => this.instance(w).getRemaining(identity))));
    return windows.map((w, i) => ({
      name: w.name,
      limit: w.limit,
      seconds: w.seconds,
      remaining: results[i].remaining,
      allowed: results[i].remaining > 0,
      resetAt: results[i].reset,
    }));
  }

  async reset(identity: string, windows: ReadonlyArray<Pick<QuotaWindow, "name" | "seconds">>): Promise<void> {
    const now = Date.now(); // the library numbers buckets from Date.now() too
    const keys = windows.flatMap((w) => {
      const b = bucketOf(now, w.seconds);
      return [b - 1, b, b + 1].map((x) => this.key(w, identity, x));
    });
    if (keys.length) await this.call("reset", () => this.redis.del(...keys));
  }
}

/** The library's sliding window as this limiter configures it (see the class comment). */
function slidingWindowLimiter(redis: Redis, prefix: string, w: Pick<QuotaWindow, "limit" | "seconds">): Ratelimit {
  return new Ratelimit({
    redis,
    limiter: Ratelimit.slidingWindow(w.limit, `${w.seconds} s`),
    prefix,
    ephemeralCache: false,
    timeout: 0,
    analytics: false,
    enableProtection: false,
    dynamicLimits: false,
    enableTelemetry: false,
  });
}

/**
 * The Lua scripts this limiter runs (EVALSHA, then EVAL on NOSCRIPT), read from the installed
 * library by running it against a recorder, so they follow library upgrades. The
 * Upstash-compatible endpoint allows exactly these (by their SHA-1).
 */
export async function limiterScripts(): Promise<string[]> {
  const seen = new Set<string>();
  const recorder = {
    evalsha: async () => {
      throw new Error("NOSCRIPT recording the script text");
    },
    eval: async (script: string) => {
      seen.add(script);
      return [1, 1];
    },
  };
  const rl = slidingWindowLimiter(recorder as unknown as Redis, "recording:", { limit: 1, seconds: 60 });
  await rl.limit("x");
  await rl.limit("x", { rate: -1 });
  await rl.getRemaining("x");
  return [...seen];
}

class UpstashLockouts implements LockoutStore {
  constructor(
    private redis: Redis,
    private namespace: string,
    private call: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
  ) {}

  private keys = (subject: string) => [`${this.namespace}lock:${subject}`, `${this.namespace}lock-level:${subject}`] as const;

  async get(subject: string): Promise<LockoutState | null> {
    const [lockKey, levelKey] = this.keys(subject);
    const [until, level] = await this.call("lockout get", () => this.redis.mget<(string | null)[]>(lockKey, levelKey));
    if (until === null || until === undefined) return null;
    const u = Number(until);
    return u > Date.now() ? { until: u, level: Number(level ?? 1) || 1 } : null;
  }

  async lock(subject: string, opts: { baseSeconds: number; maxSeconds: number; levelTtlSeconds: number }): Promise<LockoutState> {
    const [lockKey, levelKey] = this.keys(subject);
    return this.call("lockout", async () => {
      const [level] = await this.redis.multi().incr(levelKey).expire(levelKey, opts.levelTtlSeconds).exec<[number, number]>();
      const seconds = lockoutSeconds(Number(level), opts);
      const until = Date.now() + seconds * 1000;
      await this.redis.set(lockKey, String(until), { px: seconds * 1000 });
      return { until, level: Number(level) };
    });
  }

  async clear(subject: string): Promise<void> {
    await this.call("lockout clear", () => this.redis.del(...this.keys(subject)));
  }
}

function isTimeout(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === "TimeoutError" || name === "AbortError";
}

/** The first line of an error, without the command the client appends (it carries whole Lua scripts). */
function brief(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const cut = msg.split("\n")[0].replace(/, command was: .*$/s, "");
  return cut.length > 300 ? `${cut.slice(0, 300)}…` : cut;
}
