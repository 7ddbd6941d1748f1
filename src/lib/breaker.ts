/**
 * A circuit breaker in front of a backend that may fail or hang (the cache's and the rate
 * limiter's Redis). Closed: calls go through, and `failureThreshold` failures in a row (errors or
 * timeouts) open it. Open: calls fail at once with CircuitOpenError, so nobody waits out a timeout
 * on a backend known to be down, and the caller takes its fallback (the database for cached reads,
 * AIRLOCK_RATE_LIMIT_ON_ERROR for the limiter). After `openMs` one call is let through as a probe
 * (half-open): its success closes the breaker, its failure opens it for another `openMs`.
 * Per process (per isolate on workerd); time from the clock it is given.
 */
export type CircuitState = "closed" | "open" | "half_open";

export class CircuitOpenError extends Error {
  constructor(readonly backend: string) {
    super(`${backend}: circuit open, backend not called`);
    this.name = "CircuitOpenError";
  }
}

export interface CircuitTransition {
  backend: string;
  from: CircuitState;
  to: CircuitState;
  /** The failure that opened it (none when it closes). */
  error?: string;
  consecutive_failures: number;
}

export interface BreakerOptions {
  /** Names the backend in errors, logs and metrics: "cache", "rate_limiter". */
  backend: string;
  now: () => number;
  failureThreshold?: number;
  openMs?: number;
  onTransition?: (t: CircuitTransition) => void;
}

export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_OPEN_MS = 5_000;

export class CircuitBreaker {
  readonly backend: string;
  private s: CircuitState = "closed";
  private failures = 0;
  private openedAt = 0;
  private changedAt: number;
  private probing = false;
  /** Transitions into each state, and calls refused while open, since start. */
  readonly counts = { opened: 0, half_opened: 0, closed: 0, short_circuited: 0 };

  constructor(private readonly o: BreakerOptions) {
    this.backend = o.backend;
    this.changedAt = o.now();
  }

  get state(): CircuitState {
    return this.s;
  }

  /** When the current state began (ms since epoch), and the failures in a row so far. */
  snapshot() {
    return { state: this.s, since: new Date(this.changedAt).toISOString(), consecutive_failures: this.failures, ...this.counts };
  }

  /** Runs `fn` unless the circuit is open; its outcome counts towards the state. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const probe = this.admit();
    try {
      const out = await fn();
      this.succeeded();
      return out;
    } catch (e) {
      this.failed(e);
      throw e;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Throws CircuitOpenError when the call may not go out; answers whether it is the half-open probe. */
  private admit(): boolean {
    if (this.s === "closed") return false;
    const now = this.o.now();
    // A clock set back (NTP, a test's fake time) must not keep the circuit open: that counts as time passed.
    if (this.s === "open" && !this.probing && (now - this.openedAt >= (this.o.openMs ?? DEFAULT_OPEN_MS) || now < this.openedAt)) this.move("half_open");
    if (this.s === "half_open" && !this.probing) {
      this.probing = true;
      return true;
    }
    this.counts.short_circuited++;
    throw new CircuitOpenError(this.backend);
  }

  private succeeded() {
    this.failures = 0;
    if (this.s !== "closed") this.move("closed");
  }

  private failed(e: unknown) {
    this.failures++;
    const error = (e instanceof Error ? e.message : String(e)).slice(0, 300);
    if (this.s === "half_open" || (this.s === "closed" && this.failures >= (this.o.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD))) {
      this.openedAt = this.o.now();
      this.move("open", error);
    }
  }

  private move(to: CircuitState, error?: string) {
    const from = this.s;
    if (from === to) return;
    this.s = to;
    this.changedAt = this.o.now();
    if (to === "open") this.counts.opened++;
    else if (to === "half_open") this.counts.half_opened++;
    else this.counts.closed++;
    this.o.onTransition?.({ backend: this.backend, from, to, ...(error ? { error } : {}), consecutive_failures: this.failures });
  }
}
