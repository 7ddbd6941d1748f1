// src/lib/metrics.ts on its own: escaping, histogram buckets, the bound on series, content negotiation.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Registry, exposition, formatFor } from "../../src/lib/metrics.ts";
import { DEBIAN_PYTHON } from "../../scripts/pretest.ts";

describe("the metrics registry", () => {
  it("escapes help and label values, keeps histogram buckets cumulative, and both formats parse", () => {
    const r = new Registry();
    const c = r.counter("t_events", 'Events with a "quote", a \\ backslash\nand a new line', ["kind"]);
    c.inc({ kind: 'a "b" \\ c\nd' });
    c.inc({ kind: 'a "b" \\ c\nd' }, 2);
    const h = r.histogram("t_duration_seconds", "Durations", ["op"], [0.1, 1]);
    for (const v of [0.05, 0.5, 0.5, 3]) h.observe({ op: "x" }, v);
    expect(c.get({ kind: 'a "b" \\ c\nd' })).toBe(3);

    const classic = exposition(r.families(), "prometheus");
    expect(classic).toContain('# HELP t_events_total Events with a "quote", a \\\\ backslash\\nand a new line\n# TYPE t_events_total counter\n');
    expect(classic).toContain('t_events_total{kind="a \\"b\\" \\\\ c\\nd"} 3\n');
    expect(classic).toContain(
      [
        't_duration_seconds_bucket{op="x",le="0.1"} 1',
        't_duration_seconds_bucket{op="x",le="1"} 3',
        't_duration_seconds_bucket{op="x",le="+Inf"} 4',
        't_duration_seconds_sum{op="x"} 4.05',
        't_duration_seconds_count{op="x"} 4',
      ].join("\n"),
    );
    const lint = spawnSync("promtool", ["check", "metrics"], { input: classic, encoding: "utf8" });
    expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);

    const om = exposition(r.families(), "openmetrics");
    expect(om).toContain("# TYPE t_events counter\n");
    expect(om).toContain('t_duration_seconds_bucket{op="x",le="1.0"} 3\n');
    expect(om.endsWith("# EOF\n")).toBe(true);
    const strict = spawnSync(DEBIAN_PYTHON, ["test/helpers/check-openmetrics.py"], { input: om, encoding: "utf8" });
    expect(strict.status, strict.stderr).toBe(0);
    expect(strict.stdout).toBe("t_events counter 1\nt_duration_seconds histogram 5\n");
  });

  it("keeps at most 2000 series per metric, so an unbounded label cannot grow memory without end", () => {
    const c = new Registry().counter("t_many", "Many", ["id"]);
    for (let i = 0; i < 2500; i++) c.inc({ id: i });
    expect(c.family().samples).toHaveLength(2000);
    c.inc({ id: 1 });
    expect(c.get({ id: 1 })).toBe(2);
    expect(c.get({ id: 2400 })).toBe(0);
  });

  it("answers OpenMetrics only when the Accept header names it", () => {
    expect(formatFor(undefined)).toBe("prometheus");
    expect(formatFor("text/plain;version=0.0.4;q=0.5,*/*;q=0.1")).toBe("prometheus");
    expect(formatFor("application/openmetrics-text;version=1.0.0;q=0.6,text/plain;version=0.0.4;q=0.5")).toBe("openmetrics");
  });
});
