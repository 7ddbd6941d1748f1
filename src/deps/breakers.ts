import { CircuitBreaker } from "../lib/breaker.ts";
import type { Clock } from "./clock.ts";
import type { Logger } from "./logger.ts";

/** The breaker of an outside store (cache, rate limiter): every change of state is logged. */
export function circuitBreaker(backend: "cache" | "rate_limiter", clock: Clock, logger?: Logger): CircuitBreaker {
  return new CircuitBreaker({
    backend,
    now: () => clock.now().getTime(),
    onTransition: (t) =>
      logger?.log(t.to === "closed" ? "info" : "warn", t.to === "open" ? "circuit opened" : t.to === "half_open" ? "circuit half-open: probing" : "circuit closed", { ...t }),
  });
}
