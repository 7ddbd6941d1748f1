import type { Family } from "../lib/metrics.ts";
import type { CircuitBreaker } from "../lib/breaker.ts";
import type { Services } from "../services.ts";

const STATES = ["closed", "open", "half_open"] as const;

/** The circuit breakers in front of the cache and the limiter's backend (none when they live in memory). */
export function breakersOf(s: Pick<Services, "cache" | "limiter">): CircuitBreaker[] {
  return [s.cache.breaker, s.limiter.breaker].filter((b): b is CircuitBreaker => b !== undefined);
}

/** This process's breakers, read on each scrape: the state (one series per state, 1 for the current one) and the counts. */
export function breakerFamilies(s: Pick<Services, "cache" | "limiter">): Family[] {
  const list = breakersOf(s);
  if (!list.length) return [];
  return [
    {
      name: "airlock_circuit_state",
      type: "gauge",
      help: "Circuit breaker state per backend (cache, rate_limiter): 1 for the current state (closed, open, half_open), 0 for the others",
      samples: list.flatMap((b) => STATES.map((state) => ({ labels: { backend: b.backend, state }, value: b.state === state ? 1 : 0 }))),
    },
    {
      name: "airlock_circuit_transitions",
      type: "counter",
      help: "Circuit breaker transitions per backend, by the state entered (open, half_open, closed)",
      samples: list.flatMap((b) => [
        { suffix: "_total", labels: { backend: b.backend, to: "open" }, value: b.counts.opened },
        { suffix: "_total", labels: { backend: b.backend, to: "half_open" }, value: b.counts.half_opened },
        { suffix: "_total", labels: { backend: b.backend, to: "closed" }, value: b.counts.closed },
      ]),
    },
    {
      name: "airlock_circuit_short_circuited",
      type: "counter",
      help: "Calls not sent to a backend because its circuit was open (the fallback answered)",
      samples: list.map((b) => ({ suffix: "_total", labels: { backend: b.backend }, value: b.counts.short_circuited })),
    },
  ];
}
