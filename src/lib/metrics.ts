/**
 * A small in-memory metrics registry and the two text formats Prometheus scrapes:
 * the text exposition format 0.0.4 and OpenMetrics 1.0. Our own rather than
 * prom-client, which needs Node's built-ins and so does not run on workerd.
 * Values live in the process (on workerd: in the isolate) that counted them.
 */
export type Format = "prometheus" | "openmetrics";

export const CONTENT_TYPES: Record<Format, string> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** OpenMetrics when the scraper asks for it (Prometheus does, with a q-value), else the classic text format. */
export const formatFor = (accept: string | undefined): Format => (accept?.toLowerCase().includes("application/openmetrics-text") ? "openmetrics" : "prometheus");

export type LabelValues = Record<string, string | number>;
export interface Sample {
  /** Appended to the family name: `_total`, `_bucket`, `_sum`, `_count`, or nothing. */
  suffix?: string;
  labels?: LabelValues;
  value: number;
}
export interface Family {
  /** Without `_total` for counters (OpenMetrics names the family so; the classic format adds it). */
  name: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
  samples: Sample[];
}

// A label set that is not bounded (a bug) must not grow memory without end: later series are not kept.
const MAX_SERIES = 2_000;

const keyOf = (names: readonly string[], labels: LabelValues) => names.map((n) => String(labels[n] ?? "")).join("\u0000");
const pick = (names: readonly string[], labels: LabelValues): LabelValues => Object.fromEntries(names.map((n) => [n, labels[n] ?? ""]));

export class Counter {
  private readonly series = new Map<string, { labels: LabelValues; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}

  inc(labels: LabelValues = {}, by = 1): void {
    const key = keyOf(this.labelNames, labels);
    const s = this.series.get(key);
    if (s) s.value += by;
    else if (this.series.size < MAX_SERIES) this.series.set(key, { labels: pick(this.labelNames, labels), value: by });
  }

  get(labels: LabelValues = {}): number {
    return this.series.get(keyOf(this.labelNames, labels))?.value ?? 0;
  }

  family(): Family {
    return { name: this.name, type: "counter", help: this.help, samples: [...this.series.values()].map((s) => ({ suffix: "_total", labels: s.labels, value: s.value })) };
  }
}

export class Histogram {
  private readonly series = new Map<string, { labels: LabelValues; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    /** Upper bounds, ascending; +Inf is implied. */
    readonly buckets: readonly number[],
  ) {}

  observe(labels: LabelValues, value: number): void {
    const key = keyOf(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= MAX_SERIES) return;
      s = { labels: pick(this.labelNames, labels), counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  family(): Family {
    const samples: Sample[] = [];
    for (const s of this.series.values()) {
      for (let i = 0; i < this.buckets.length; i++) samples.push({ suffix: "_bucket", labels: { ...s.labels, le: this.buckets[i] }, value: s.counts[i] });
      samples.push({ suffix: "_bucket", labels: { ...s.labels, le: Number.POSITIVE_INFINITY }, value: s.count });
      samples.push({ suffix: "_sum", labels: s.labels, value: s.sum });
      samples.push({ suffix: "_count", labels: s.labels, value: s.count });
    }
    return { name: this.name, type: "histogram", help: this.help, samples };
  }
}

export class Registry {
  private readonly metrics: Array<Counter | Histogram> = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const c = new Counter(name, help, labelNames);
    this.metrics.push(c);
    return c;
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    const h = new Histogram(name, help, labelNames, buckets);
    this.metrics.push(h);
    return h;
  }

  families(): Family[] {
    return this.metrics.map((m) => m.family());
  }
}

function number(v: number, format: Format): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  // OpenMetrics wants `le` and other floats in a canonical form with a decimal point ("1.0").
  return format === "openmetrics" && Number.isInteger(v) && Math.abs(v) < 1e21 ? `${v}.0` : String(v);
}

const escapeHelp = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escapeLabel = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function labelText(labels: LabelValues | undefined, format: Format): string {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(typeof v === "number" && k === "le" ? number(v, format) : String(v))}"`).join(",")}}`;
}

/** The families as one scrape body in `format` (OpenMetrics ends with `# EOF`). */
export function exposition(families: readonly Family[], format: Format): string {
  const lines: string[] = [];
  for (const f of families) {
    const declared = format === "prometheus" && f.type === "counter" ? `${f.name}_total` : f.name;
    lines.push(`# HELP ${declared} ${escapeHelp(f.help)}`, `# TYPE ${declared} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ""}${labelText(s.labels, format)} ${number(s.value, "prometheus")}`);
  }
  if (format === "openmetrics") lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}
