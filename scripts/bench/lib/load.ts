// One HTTP load case: autocannon with N connections, a warm-up run whose numbers are dropped, then
// the measured run. Latencies are recorded from autocannon's per-response event (sub-millisecond
// floats; its own histogram keeps whole milliseconds), with the time each response completed.
import autocannon, { type Options } from "autocannon";
import type { Throughput } from "../result.ts";

export interface LoadSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called for every request sent (a fresh Idempotency-Key, say). */
  perRequest?: () => Record<string, string>;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Runs once the measured run has started (the degraded case stops Redis here). */
  onStart?: () => void;
}

export interface LoadSample {
  /** Seconds since the measured run started, when each response completed. */
  at: Float64Array;
  /** Milliseconds each response took. */
  ms: Float64Array;
  status: Uint16Array;
  count: number;
  errors: number;
  seconds: number;
}

export interface LoadStats extends Throughput {
  statuses: Record<string, number>;
}

function options(spec: LoadSpec, durationS: number): Options {
  const base: Options = { url: spec.url, connections: spec.connections, duration: durationS, timeout: 10 };
  const raw = { method: spec.method ?? "GET", headers: spec.headers ?? {}, ...(spec.body !== undefined ? { body: spec.body } : {}) };
  if (!spec.perRequest) return { ...base, ...raw };
  const per = spec.perRequest;
  return { ...base, requests: [{ ...raw, setupRequest: (req) => ({ ...req, headers: { ...raw.headers, ...per() } }) }] };
}

class Grow {
  buf: Float64Array;
  n = 0;
  constructor(size = 1 << 16) {
    this.buf = new Float64Array(size);
  }
  push(v: number) {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
}

export async function runLoad(spec: LoadSpec): Promise<LoadSample> {
  if (spec.warmupS > 0) await autocannon(options(spec, spec.warmupS));
  const at = new Grow();
  const ms = new Grow();
  const status = new Grow();
  let errors = 0;
  const inst = autocannon(options(spec, spec.durationS));
  const t0 = performance.now();
  inst.on("response", (_client: unknown, code: number, _bytes: number, took: number) => {
    at.push((performance.now() - t0) / 1000);
    ms.push(took);
    status.push(code);
  });
  inst.on("reqError", () => errors++);
  spec.onStart?.();
  const result = await inst;
  return {
    at: at.buf.subarray(0, at.n),
    ms: ms.buf.subarray(0, ms.n),
    status: Uint16Array.from(status.buf.subarray(0, status.n)),
    count: ms.n,
    errors: Math.max(errors, result.errors),
    seconds: (performance.now() - t0) / 1000,
  };
}

export function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Throughput counts 2xx (and 304) answers only; latencies are of every answer. `fromS` drops what completed earlier. */
export function statsOf(s: LoadSample, fromS = 0): LoadStats {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  for (let i = 0; i < s.count; i++) {
    if (s.at[i] < fromS) continue;
    lat.push(s.ms[i]);
    const code = s.status[i];
    statuses[code] = (statuses[code] ?? 0) + 1;
    if ((code >= 200 && code < 300) || code === 304) ok++;
  }
  const sorted = Float64Array.from(lat).sort();
  const seconds = Math.max(0.001, s.seconds - fromS);
  return { rps: ok / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), ok, non2xx: lat.length - ok, errors: s.errors, statuses };
}
