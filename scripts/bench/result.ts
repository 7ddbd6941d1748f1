// The one result object of a bench run: the runner fills it, the report writer renders the
// printed tables and docs/benchmarks.md from it, so the two always agree.

/** What a load run measured: throughput, latency percentiles (ms) and answers by kind. */
export interface Throughput {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
}

/** The throughput fields of a load run's statistics, and nothing else of them. */
export function throughputOf(s: Throughput): Throughput {
  return { rps: s.rps, p50: s.p50, p99: s.p99, ok: s.ok, non2xx: s.non2xx, errors: s.errors };
}

export interface HttpCase extends Throughput {
  id: string;
  label: string;
  /** What else the reader should know (status codes seen, rows in the table read). */
  note?: string;
}

export interface Degraded extends Throughput {
  /** Seconds into the measured run at which redis-server got SIGSTOP. */
  stoppedAtS: number;
  /** Latencies and throughput count what completed from here on (seconds after the stop). */
  fromS: number;
  /** X-Cache outcomes of probe reads while Redis was stopped. */
  probeCache: string;
  /** What /ready showed of a circuit breaker while Redis was stopped, or "not present". */
  breaker: string;
  /** /ready's status while Redis was stopped (null: no answer within its bound). */
  readyStatus: number | null;
}

export interface TransferSize {
  records: number;
  batches: number;
  kib: number;
  exportRps: number;
  importRps: number;
  proxyRps: number;
  exportRssMiB: number;
  importRssMiB: number;
  proxyRssMiB: number;
}

export interface Workers {
  bundleBytes: number | null;
  gzipBytes: number | null;
  coldStartMs: number[];
}

export interface Skipped {
  id: string;
  label: string;
  reason: string;
}

export interface BenchResult {
  date: string;
  quick: boolean;
  elapsedS: number;
  machine: { cpus: number; model: string; memGiB: number; os: string; loadBefore: number[]; loadAfter: number[]; note: string };
  versions: Record<string, string>;
  settings: { connections: number; warmupS: number; durationS: number; records: number[]; coldStarts: number; degradedFromS: number };
  http: HttpCase[];
  degraded: Degraded | null;
  transfer: TransferSize[];
  /** Peak RSS of a transfer step's process that builds the services and does nothing else. */
  transferIdleRssMiB: number | null;
  workers: Workers;
  skipped: Skipped[];
}

export function emptyResult(): BenchResult {
  return {
    date: new Date().toISOString(),
    quick: false,
    elapsedS: 0,
    machine: { cpus: 0, model: "", memGiB: 0, os: "", loadBefore: [], loadAfter: [], note: "" },
    versions: {},
    settings: { connections: 10, warmupS: 2, durationS: 8, records: [], coldStarts: 0, degradedFromS: 1 },
    http: [],
    degraded: null,
    transfer: [],
    transferIdleRssMiB: null,
    workers: { bundleBytes: null, gzipBytes: null, coldStartMs: [] },
    skipped: [],
  };
}
