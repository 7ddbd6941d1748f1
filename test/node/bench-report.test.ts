import { describe, expect, it } from "vitest";
import { findBreaker } from "../../scripts/bench/cases/degraded.ts";
import { statsOf } from "../../scripts/bench/lib/load.ts";
import { BEGIN, END, markdownSection, tables, targets, textReport, updateDoc } from "../../scripts/bench/report.ts";
import { type BenchResult, emptyResult } from "../../scripts/bench/result.ts";
import { markdownTables, textTables } from "../helpers/bench-tables.ts";

const row = (id: string, rps: number, p99: number, extra: Partial<BenchResult["http"][number]> = {}) => ({
  id,
  label: `${id} case`,
  rps,
  p50: p99 / 2,
  p99,
  ok: rps * 8,
  non2xx: 0,
  errors: 0,
  ...extra,
});

/** A fixed run: some targets met, some missed (one exactly on its bound), some not measured. */
function fixture(): BenchResult {
  const r = emptyResult();
  r.date = "2026-12-06T00:00:00.000Z";
  r.elapsedS = 321;
  r.machine = { cpus: 2, model: "Test CPU", memGiB: 24, os: "Linux 6", loadBefore: [1, 2, 3], loadAfter: [2, 2, 2], note: "Shared with other jobs." };
  r.versions = { Node: "v20.20.2", Deno: "2.9.5" };
  r.settings.records = [10_000, 100_000];
  r.settings.coldStarts = 3;
  r.http = [
    row("ceiling", 80_000, 0.4),
    row("fastapi", 4_000, 3),
    row("read-node", 40_000, 1.5),
    row("read-deno", 30_000, 2.5),
    row("submit", 20_000, 3, { non2xx: 2, note: "answers 500×2" }),
    row("login", 40, 400),
  ];
  r.degraded = {
    stoppedAtS: 1,
    fromS: 1,
    rps: 900,
    p50: 1.2,
    p99: 4.2,
    ok: 7_200,
    non2xx: 0,
    errors: 0,
    probeCache: "200 error, 200 error, 200 error",
    breaker: '{"cache":"open"}',
    readyStatus: 200,
  };
  r.transfer = [
    { records: 10_000, batches: 2, kib: 180, exportRps: 30_000, importRps: 20_000, proxyRps: 50_000, exportRssMiB: 120, importRssMiB: 130, proxyRssMiB: 100 },
    { records: 100_000, batches: 20, kib: 1_800, exportRps: 40_000, importRps: 35_000, proxyRps: 50_000, exportRssMiB: 200, importRssMiB: 300, proxyRssMiB: 110 },
  ];
  r.transferIdleRssMiB = 95;
  r.workers = { bundleBytes: 1_900_000, gzipBytes: 400 * 1024, coldStartMs: [900, 700, 800] };
  r.skipped = [{ id: "read-redis", label: "read-redis case", reason: "failed: redis-server did not answer | PING" }];
  return r;
}

const verdictOf = (r: BenchResult, name: string) => targets(r).find((t) => t.name === name);

describe("bench report", () => {
  it("judges every target against the run: met, missed, exactly on the bound, or not measured", () => {
    const r = fixture();
    expect(verdictOf(r, "cached read on Node vs FastAPI")).toEqual({ name: "cached read on Node vs FastAPI", measured: "10.00×", goal: "≥ 5×", verdict: "met" });
    expect(verdictOf(r, "cached read on Node vs ceiling")).toMatchObject({ measured: "0.50×", verdict: "met" });
    expect(verdictOf(r, "cached read on Node, p99")).toMatchObject({ measured: "1.50 ms", verdict: "met" });
    expect(verdictOf(r, "cached read on Deno vs FastAPI")).toMatchObject({ measured: "7.50×", verdict: "met" });
    expect(verdictOf(r, "cached read on Deno vs ceiling")).toMatchObject({ measured: "0.38×", verdict: "missed" });
    expect(verdictOf(r, "cached read on Deno, p99")).toMatchObject({ measured: "2.50 ms", verdict: "missed" });
    expect(verdictOf(r, "cached read with real Redis vs ceiling")).toMatchObject({ measured: "–", verdict: "not measured" });
    expect(verdictOf(r, "submit vs ceiling")).toMatchObject({ measured: "0.25×", verdict: "met" });
    expect(verdictOf(r, "export of 10,000 records vs proxy")).toMatchObject({ measured: "0.60×", verdict: "met" });
    expect(verdictOf(r, "import of 10,000 records vs proxy")).toMatchObject({ measured: "0.40×", verdict: "missed" });
    expect(verdictOf(r, "export of 100,000 records vs proxy")).toMatchObject({ measured: "0.80×", verdict: "met" });
    expect(verdictOf(r, "import of 100,000 records vs proxy")).toMatchObject({ measured: "0.70×", verdict: "met" });
    expect(verdictOf(r, "peak RSS of export and import at 100,000 records")).toMatchObject({ measured: "300 MiB", verdict: "missed" });
    expect(verdictOf(r, "degraded cached read (Redis stopped), p99 from second 2")).toMatchObject({ measured: "4.20 ms", verdict: "met" });
    expect(verdictOf(r, "Worker bundle, gzipped")).toMatchObject({ measured: "0.39 MiB", verdict: "met" });
    expect(targets(r)).toHaveLength(15);

    const empty = emptyResult();
    expect(targets(empty).map((t) => t.verdict)).toEqual(Array(targets(empty).length).fill("not measured"));
  });

  it("prints exactly the tables it writes: every title, header and cell agree", () => {
    const r = fixture();
    const md = markdownSection(r);
    const text = textReport(r);
    const fromMd = markdownTables(md);
    const fromText = textTables(text);
    const expected = tables(r);
    expect([...fromMd.keys()]).toEqual(expected.map((t) => t.title));
    expect([...fromText.keys()]).toEqual(expected.map((t) => t.title));
    for (const t of expected) {
      const cells = [t.head, ...t.rows].map((cs) => cs.map((c) => c.replace(/\|/g, "\\|")));
      expect(fromMd.get(t.title), t.title).toEqual(cells);
      expect(fromText.get(t.title), t.title).toEqual(cells);
    }
    // A few cells by value: the ratios are to the ceiling and the peer of the same run.
    const http = fromMd.get("HTTP, side by side")!;
    expect(http[0]).toEqual(["case", "req/s", "× ceiling", "× FastAPI", "p50 ms", "p99 ms", "not 2xx", "note"]);
    expect(http.find((c) => c[0] === "read-node case")).toEqual(["read-node case", "40,000", "0.50", "10.00", "0.75", "1.50", "0", ""]);
    expect(http.find((c) => c[0] === "login case")?.[2]).toBe("0.00050");
    expect(http.find((c) => c[0] === "submit case")?.slice(6)).toEqual(["2", "answers 500×2"]);
    expect(
      fromMd
        .get("Targets")!
        .filter((c) => c[3] === "missed")
        .map((c) => c[0]),
    ).toEqual(["cached read on Deno vs ceiling", "cached read on Deno, p99", "import of 10,000 records vs proxy", "peak RSS of export and import at 100,000 records"]);
    expect(fromMd.get("Skipped or failed")![1]).toEqual(["read-redis case", "failed: redis-server did not answer \\| PING"]);
    // The context lines are the same in both too.
    for (const line of text.split("\n").filter((l) => l.startsWith("- "))) expect(md).toContain(line);
    expect(md).toContain("Shared with other jobs.");
    expect(md.startsWith(BEGIN) && md.endsWith(END)).toBe(true);
  });

  it("rewrites only the generated section of the document, and puts it before the first section the first time", () => {
    const r = fixture();
    const handWritten = "# Benchmarks\n\nIntro.\n\n## Method\n\nHand-written words.\n";
    const first = updateDoc(handWritten, markdownSection(r));
    expect(first.startsWith("# Benchmarks\n\nIntro.\n\n<!-- BEGIN")).toBe(true);
    expect(first).toContain("## Method\n\nHand-written words.\n");
    const other = { ...r, date: "2027-01-01T00:00:00.000Z", http: r.http.map((h) => ({ ...h, rps: h.rps * 2 })) };
    const second = updateDoc(first, markdownSection(other));
    expect(second.split(BEGIN)).toHaveLength(2);
    expect(second).not.toContain("2026-12-06");
    expect(second).toContain("| read-node case | 80,000 | 0.50 |");
    expect(second.replace(markdownSection(other), "")).toBe(first.replace(markdownSection(r), ""));
    expect(updateDoc(second, markdownSection(other))).toBe(second);
  });

  it("counts a degraded run from the given second on, and only 2xx answers as throughput", () => {
    const at = Float64Array.from([0.1, 0.5, 0.9, 1.2, 1.5, 2.0, 2.5, 3.0]);
    const ms = Float64Array.from([400, 410, 420, 3, 2, 1, 4, 5]);
    const status = Uint16Array.from([200, 200, 200, 200, 200, 503, 200, 304]);
    const sample = { at, ms, status, count: 8, errors: 0, seconds: 3 };
    const all = statsOf(sample);
    expect(all).toMatchObject({ ok: 7, non2xx: 1, p99: 420, statuses: { 200: 6, 304: 1, 503: 1 } });
    const late = statsOf(sample, 1);
    expect(late).toMatchObject({ ok: 4, non2xx: 1, p50: 3, p99: 5, rps: 2 });
  });

  it("finds a breaker anywhere in /ready's document, or says it is not there", () => {
    expect(findBreaker({ status: "ready", checks: { cache: { ok: true } } })).toBeUndefined();
    expect(findBreaker({ checks: { cache: { ok: true, breaker: { state: "open" } } } })).toEqual({ state: "open" });
    expect(findBreaker({ circuit_breakers: [] })).toEqual([]);
    expect(findBreaker("not json")).toBeUndefined();
  });
});
