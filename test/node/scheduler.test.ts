// startScheduler: jobs on intervals (real timers) and on cron schedules (fake timers), stopping, and validation.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/deps/clock.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { startScheduler } from "../../src/jobs/scheduler.ts";
import { deferred, job, jobLines, services, sleep, utc } from "../helpers/jobs.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("startScheduler with intervalOverrides (real timers)", () => {
  it("runs a job every ~20 ms, logging each run, and stops", async () => {
    const logger = new MemoryLogger();
    let runs = 0;
    const s = startScheduler([job("interval-basic", async () => ({ run: ++runs }))], services, { logger, intervalOverrides: { "interval-basic": 20 } });
    expect(logger.entries[0]).toEqual({
      level: "info",
      msg: "scheduler started",
      jobs: [{ job: "interval-basic", every_ms: 20 }],
    });

    await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(3), { timeout: 3000, interval: 5 });
    await s.stop();
    const total = runs;
    await sleep(80);
    expect(runs).toBe(total); // no runs after stop

    const lines = jobLines(logger, "interval-basic");
    expect(lines).toHaveLength(total);
    lines.forEach((line, i) => {
      expect(line).toMatchObject({ level: "info", outcome: "ok", result: { run: i + 1 } });
      expect(typeof line.duration_ms).toBe("number");
      expect(typeof line.scheduled_at).toBe("string");
    });
    expect(logger.entries.at(-1)).toEqual({ level: "info", msg: "scheduler stopped" });
  });

  it("never overlaps a job slower than its interval: extra ticks are skipped and logged", async () => {
    const logger = new MemoryLogger();
    let active = 0;
    let maxActive = 0;
    let completed = 0;
    const s = startScheduler(
      [
        job("interval-slow", async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(70);
          active--;
          return { completed: ++completed };
        }),
      ],
      services,
      { logger, intervalOverrides: { "interval-slow": 20 } },
    );

    await vi.waitFor(() => expect(completed).toBeGreaterThanOrEqual(2), { timeout: 3000, interval: 5 });
    await s.stop();

    expect(maxActive).toBe(1);
    const lines = jobLines(logger, "interval-slow");
    const ok = lines.filter((l) => l.outcome === "ok");
    const skipped = lines.filter((l) => l.outcome === "skipped");
    expect(ok.map((l) => l.result)).toEqual(Array.from({ length: completed }, (_, i) => ({ completed: i + 1 })));
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    for (const l of skipped) expect(l).toMatchObject({ level: "warn", reason: "already_running", duration_ms: 0 });
    // Ticks during the first run were skipped before it finished.
    expect(lines.findIndex((l) => l.outcome === "skipped")).toBeLessThan(lines.findIndex((l) => l.outcome === "ok"));
  });

  it("stop() aborts the job's signal and waits for the in-flight run", async () => {
    const logger = new MemoryLogger();
    const started = deferred();
    const gate = deferred();
    let abortedWhenReleased: boolean | undefined;
    const s = startScheduler(
      [
        job("interval-stop", async (_s, ctx) => {
          started.resolve();
          await gate.promise;
          abortedWhenReleased = ctx.signal?.aborted;
          return { finished: true };
        }),
      ],
      services,
      { logger, intervalOverrides: { "interval-stop": 20 } },
    );

    await started.promise;
    let stopResolved = false;
    const stopping = s.stop().then(() => {
      stopResolved = true;
    });
    await sleep(60);
    expect(stopResolved).toBe(false);
    expect(jobLines(logger, "interval-stop")).toEqual([]); // still running, and no ticks after stop

    gate.resolve();
    await stopping;
    expect(abortedWhenReleased).toBe(true);
    const msgs = logger.entries.map((e) => [e.msg, e.job, e.outcome]);
    expect(msgs).toEqual([
      ["scheduler started", undefined, undefined],
      ["job run", "interval-stop", "ok"],
      ["scheduler stopped", undefined, undefined],
    ]);
    expect(jobLines(logger, "interval-stop")[0]).toMatchObject({ result: { finished: true } });
    await expect(s.stop()).resolves.toBeUndefined(); // idempotent
  });

  it("runNow runs a job at once, honours the guard, and is refused after stop", async () => {
    const logger = new MemoryLogger();
    const gate = deferred();
    const s = startScheduler(
      [
        job("manual-job", async () => {
          await gate.promise;
          return { manual: true };
        }),
      ],
      services,
      { logger },
    );
    await expect(s.runNow("no-such-job")).rejects.toThrow(/Unknown job "no-such-job"/);

    const first = s.runNow("manual-job");
    await expect(s.runNow("manual-job")).resolves.toMatchObject({ outcome: "skipped", reason: "already_running" });
    gate.resolve();
    await expect(first).resolves.toMatchObject({ job: "manual-job", outcome: "ok", result: { manual: true } });
    expect(jobLines(logger, "manual-job").map((l) => l.outcome)).toEqual(["skipped", "ok"]);

    await s.stop();
    await expect(s.runNow("manual-job")).rejects.toThrow(/stopped/);
  });

  it("unrefs its timers so they do not keep Node alive", async () => {
    const spy = vi.spyOn(globalThis, "setTimeout");
    const s = startScheduler([job("unref-cron", async () => {}, "*/5 * * * *"), job("unref-interval", async () => {})], services, {
      logger: new MemoryLogger(),
      intervalOverrides: { "unref-interval": 60_000 },
    });
    const handles = spy.mock.results.map((r) => r.value as { hasRef(): boolean });
    expect(handles).toHaveLength(2);
    for (const h of handles) expect(h.hasRef()).toBe(false);
    await s.stop();
  });
});

describe("startScheduler on cron schedules (fake timers)", () => {
  it("fires on each matching UTC minute with scheduledAt set to that minute", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(utc("2026-03-01T10:00:30"));
    const logger = new MemoryLogger();
    const seen: string[] = [];
    const s = startScheduler([job("cron-5min", async (_s, ctx) => void seen.push(ctx.scheduledAt.toISOString()), "*/5 * * * *")], services, { logger });
    expect(logger.entries[0]).toEqual({
      level: "info",
      msg: "scheduler started",
      jobs: [{ job: "cron-5min", cron: "*/5 * * * *", next_run: "2026-03-01T10:05:00.000Z" }],
    });

    await vi.advanceTimersByTimeAsync(4 * 60_000); // 10:04:30
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(30_000); // 10:05:00
    expect(seen).toEqual(["2026-03-01T10:05:00.000Z"]);
    await vi.advanceTimersByTimeAsync(10 * 60_000); // 10:15:00
    expect(seen).toEqual(["2026-03-01T10:05:00.000Z", "2026-03-01T10:10:00.000Z", "2026-03-01T10:15:00.000Z"]);
    expect(jobLines(logger, "cron-5min").map((l) => [l.outcome, l.scheduled_at])).toEqual([
      ["ok", "2026-03-01T10:05:00.000Z"],
      ["ok", "2026-03-01T10:10:00.000Z"],
      ["ok", "2026-03-01T10:15:00.000Z"],
    ]);
    await s.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a timer that fires before the minute waits for it, and the minute runs once", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(utc("2026-03-01T10:00:30"));
    // The job clock lags the timers, so the first timer fires while it still reads 10:04:59.
    const clock = new ManualClock(utc("2026-03-01T10:00:30"));
    const seen: string[] = [];
    const s = startScheduler([job("cron-early", async (_s, ctx) => void seen.push(ctx.scheduledAt.toISOString()), "*/5 * * * *")], services, { logger: new MemoryLogger(), clock });

    clock.set(utc("2026-03-01T10:04:59"));
    await vi.advanceTimersByTimeAsync(270_000);
    expect(seen).toEqual([]);

    clock.set(utc("2026-03-01T10:05:00"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen).toEqual(["2026-03-01T10:05:00.000Z"]);

    clock.set(utc("2026-03-01T10:05:30"));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(seen).toEqual(["2026-03-01T10:05:00.000Z"]);

    clock.set(utc("2026-03-01T10:10:00"));
    await vi.advanceTimersByTimeAsync(300_000);
    expect(seen).toEqual(["2026-03-01T10:05:00.000Z", "2026-03-01T10:10:00.000Z"]);
    await s.stop();
  });

  it("after a stall it runs the missed minute once, then resumes on schedule without a burst", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(utc("2026-03-01T10:00:30"));
    const clock = new ManualClock(utc("2026-03-01T10:00:30"));
    const seen: string[] = [];
    const s = startScheduler([job("cron-stall", async (_s, ctx) => void seen.push(ctx.scheduledAt.toISOString()), "* * * * *")], services, { logger: new MemoryLogger(), clock });

    // The process was suspended: by the time the 10:01 timer fires it is 10:07:20.
    clock.set(utc("2026-03-01T10:07:20"));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(seen).toEqual(["2026-03-01T10:01:00.000Z"]);

    clock.set(utc("2026-03-01T10:08:00"));
    await vi.advanceTimersByTimeAsync(40_000);
    expect(seen).toEqual(["2026-03-01T10:01:00.000Z", "2026-03-01T10:08:00.000Z"]);
    await s.stop();
  });

  it("waits more than setTimeout's ~24.8-day limit without firing early", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(utc("2026-12-01T00:00:00"));
    const seen: string[] = [];
    const s = startScheduler([job("cron-yearly", async (_s, ctx) => void seen.push(ctx.scheduledAt.toISOString()), "0 0 1 1 *")], services, { logger: new MemoryLogger() });

    await vi.advanceTimersByTimeAsync(30 * 24 * 60 * 60_000); // Dec 31, 00:00
    expect(seen).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(24 * 60 * 60_000); // Jan 1, 00:00
    expect(seen).toEqual(["2027-01-01T00:00:00.000Z"]);
    await s.stop();
  });

  it("a job slower than its cron period is skipped (and logged) at the next minute", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(utc("2026-03-01T10:00:30"));
    const logger = new MemoryLogger();
    const s = startScheduler([job("cron-slow", () => new Promise<void>((r) => setTimeout(r, 90_000)), "* * * * *")], services, { logger });

    await vi.advanceTimersByTimeAsync(30_000 + 2 * 60_000 + 30_000); // 10:03:30
    // 10:01 starts a 90 s run; the 10:02 tick finds it running; it ends at 10:02:30; 10:03 starts again.
    expect(jobLines(logger, "cron-slow").map((l) => [l.level, l.outcome, l.scheduled_at, l.reason])).toEqual([
      ["warn", "skipped", "2026-03-01T10:02:00.000Z", "already_running"],
      ["info", "ok", "2026-03-01T10:01:00.000Z", undefined],
    ]);
    expect(jobLines(logger, "cron-slow")[1]!.duration_ms).toBe(90_000);

    // stop() waits for the 10:03 run (ends 10:04:30); the 10:04 tick is already cancelled.
    const stopping = s.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    await stopping;
    expect(jobLines(logger, "cron-slow").map((l) => [l.outcome, l.scheduled_at])).toEqual([
      ["skipped", "2026-03-01T10:02:00.000Z"],
      ["ok", "2026-03-01T10:01:00.000Z"],
      ["ok", "2026-03-01T10:03:00.000Z"],
    ]);
  });
});

describe("startScheduler validation", () => {
  it("rejects an invalid cron at startup, naming the field, before arming timers", () => {
    vi.useFakeTimers();
    expect(() =>
      startScheduler([job("valid", async () => {}), job("invalid", async () => {}, "0 0 * * 9")], services, {
        logger: new MemoryLogger(),
      }),
    ).toThrow(/day-of-week: value 9 out of range/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects duplicate job names and non-positive intervals; warns about overrides for unknown jobs", async () => {
    const logger = new MemoryLogger();
    expect(() => startScheduler([job("dup", async () => {}), job("dup", async () => {})], services, { logger })).toThrow(/Duplicate job name "dup"/);
    expect(() => startScheduler([job("zero-interval", async () => {})], services, { logger, intervalOverrides: { "zero-interval": 0 } })).toThrow(/positive/);

    const s = startScheduler([job("known", async () => {})], services, { logger, intervalOverrides: { unknown: 20 } });
    expect(logger.entries).toContainEqual({ level: "warn", msg: "interval override for unknown job", job: "unknown" });
    await s.stop();
  });
});
