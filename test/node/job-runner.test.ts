// The job runner: runJob (one run, logged, never throwing, no overlap) and runScheduled (the jobs of one cron event).
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/deps/clock.ts";
import { MemoryLogger, type Logger } from "../../src/deps/logger.ts";
import { runJob, runScheduled } from "../../src/jobs/runner.ts";
import type { JobResult } from "../../src/jobs/types.ts";
import { deferred, job, jobLines, services, sleep, utc, type Run, type Services } from "../helpers/jobs.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("runJob", () => {
  it("runs the job with services and scheduledAt, and logs one ok line with the summary", async () => {
    const clock = new ManualClock(utc("2026-03-01T10:00:00"));
    const logger = new MemoryLogger();
    const scheduledAt = utc("2026-03-01T10:00:00");
    let seen: { services: Services; scheduledAt: Date } | undefined;
    const j = job("runner-ok", async (s, ctx) => {
      seen = { services: s, scheduledAt: ctx.scheduledAt };
      clock.advance(1500);
      return { deleted: 3, batches: ["a", "b"] };
    });

    const out = await runJob(j, services, { logger, clock, scheduledAt });

    expect(out).toEqual({ job: "runner-ok", outcome: "ok", duration_ms: 1500, result: { deleted: 3, batches: ["a", "b"] } });
    expect(seen?.services).toBe(services);
    expect(seen?.scheduledAt).toEqual(scheduledAt);
    expect(logger.entries).toEqual([
      {
        level: "info",
        msg: "job run",
        job: "runner-ok",
        outcome: "ok",
        duration_ms: 1500,
        scheduled_at: "2026-03-01T10:00:00.000Z",
        result: { deleted: 3, batches: ["a", "b"] },
      },
    ]);
  });

  it("a job that returns nothing logs no result field", async () => {
    const logger = new MemoryLogger();
    const out = await runJob(
      job("runner-void", async () => {}),
      services,
      { logger, clock: new ManualClock(), scheduledAt: utc("2026-01-01T00:00:00") },
    );
    expect(out).toEqual({ job: "runner-void", outcome: "ok", duration_ms: 0 });
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).not.toHaveProperty("result");
    expect(logger.entries[0]).toMatchObject({ level: "info", job: "runner-void", outcome: "ok" });
  });

  it("a failing job resolves with outcome error and logs message and stack", async () => {
    const clock = new ManualClock(utc("2026-03-01T10:00:00"));
    const logger = new MemoryLogger();
    const j = job("runner-error", async () => {
      clock.advance(250);
      throw new Error("database is locked");
    });

    const out = await runJob(j, services, { logger, clock, scheduledAt: utc("2026-03-01T10:00:00") });

    expect(out).toEqual({ job: "runner-error", outcome: "error", duration_ms: 250, error: "database is locked" });
    expect(logger.entries).toHaveLength(1);
    const line = logger.entries[0]!;
    expect(line).toMatchObject({
      level: "error",
      msg: "job run",
      job: "runner-error",
      outcome: "error",
      duration_ms: 250,
      scheduled_at: "2026-03-01T10:00:00.000Z",
      error: "database is locked",
    });
    expect(line.stack).toEqual(expect.stringContaining("Error: database is locked"));
    expect(line.stack).toEqual(expect.stringContaining("job-runner.test.ts"));
  });

  it("never throws: synchronous throws, non-Error values and a throwing logger", async () => {
    const logger = new MemoryLogger();
    const opts = { logger, scheduledAt: new Date() };
    const sync = job("runner-sync-throw", () => {
      throw new Error("sync");
    });
    await expect(runJob(sync, services, opts)).resolves.toMatchObject({ outcome: "error", error: "sync" });

    const str = job("runner-string-throw", async () => {
      throw "plain string"; // eslint-disable-line no-throw-literal
    });
    await expect(runJob(str, services, opts)).resolves.toMatchObject({ outcome: "error", error: "plain string" });
    expect(jobLines(logger, "runner-string-throw")[0]).toMatchObject({ outcome: "error", error: "plain string" });
    expect(jobLines(logger, "runner-string-throw")[0]).not.toHaveProperty("stack");

    const broken: Logger = {
      log() {
        throw new Error("log sink down");
      },
    };
    await expect(
      runJob(
        job("runner-broken-logger", async () => ({ n: 1 })),
        services,
        { logger: broken, scheduledAt: new Date() },
      ),
    ).resolves.toMatchObject({ outcome: "ok", result: { n: 1 } });
  });

  it("does not start a job that is still running: the second call is skipped and logged", async () => {
    const logger = new MemoryLogger();
    const opts = { logger, clock: new ManualClock(), scheduledAt: utc("2026-01-01T00:00:00") };
    const gate = deferred();
    let starts = 0;
    const j = job("runner-guard", async () => {
      starts++;
      await gate.promise;
      return { starts };
    });

    const first = runJob(j, services, opts);
    const second = await runJob(j, services, opts);

    expect(second).toEqual({ job: "runner-guard", outcome: "skipped", duration_ms: 0, reason: "already_running" });
    expect(starts).toBe(1);
    expect(logger.entries).toEqual([
      {
        level: "warn",
        msg: "job run",
        job: "runner-guard",
        outcome: "skipped",
        duration_ms: 0,
        scheduled_at: "2026-01-01T00:00:00.000Z",
        reason: "already_running",
      },
    ]);

    // Another job is not blocked by this one.
    await expect(
      runJob(
        job("runner-guard-other", async () => {}),
        services,
        opts,
      ),
    ).resolves.toMatchObject({ outcome: "ok" });

    gate.resolve();
    await expect(first).resolves.toMatchObject({ outcome: "ok", result: { starts: 1 } });
    // Once finished, the job can run again.
    await expect(runJob(j, services, opts)).resolves.toMatchObject({ outcome: "ok", result: { starts: 2 } });
    expect(jobLines(logger, "runner-guard").map((e) => e.outcome)).toEqual(["skipped", "ok", "ok"]);
  });

  it("releases the guard after a failure", async () => {
    const logger = new MemoryLogger();
    let calls = 0;
    const j = job("runner-guard-error", async () => {
      if (++calls === 1) throw new Error("first fails");
      return { calls };
    });
    const opts = { logger, scheduledAt: new Date() };
    await expect(runJob(j, services, opts)).resolves.toMatchObject({ outcome: "error" });
    await expect(runJob(j, services, opts)).resolves.toMatchObject({ outcome: "ok", result: { calls: 2 } });
  });
});

describe("runScheduled", () => {
  it("runs, in order and one at a time, every job whose cron string equals the event's", async () => {
    const logger = new MemoryLogger();
    const events: string[] = [];
    const scheduledAt = utc("2026-03-01T10:05:00");
    const step =
      (name: string, result?: JobResult): Run =>
      async (_s, ctx) => {
        events.push(`${name}:start@${ctx.scheduledAt.toISOString()}`);
        await sleep(5);
        events.push(`${name}:end`);
        return result;
      };
    const jobs = [job("sched-a1", step("a1", { a: 1 }), "*/5 * * * *"), job("sched-b", step("b"), "0 3 * * *"), job("sched-a2", step("a2", { a: 2 }), "*/5 * * * *")];

    const outcomes = await runScheduled(jobs, "*/5 * * * *", services, { logger, scheduledAt });

    expect(events).toEqual(["a1:start@2026-03-01T10:05:00.000Z", "a1:end", "a2:start@2026-03-01T10:05:00.000Z", "a2:end"]);
    expect(outcomes.map((o) => [o.job, o.outcome, o.result])).toEqual([
      ["sched-a1", "ok", { a: 1 }],
      ["sched-a2", "ok", { a: 2 }],
    ]);
    expect(logger.entries.map((e) => [e.msg, e.job, e.outcome, e.scheduled_at])).toEqual([
      ["job run", "sched-a1", "ok", "2026-03-01T10:05:00.000Z"],
      ["job run", "sched-a2", "ok", "2026-03-01T10:05:00.000Z"],
    ]);
  });

  it("a failing job does not stop the ones after it", async () => {
    const logger = new MemoryLogger();
    const jobs = [
      job(
        "sched-fail",
        async () => {
          throw new Error("nope");
        },
        "0 * * * *",
      ),
      job("sched-after-fail", async () => ({ ran: true }), "0 * * * *"),
    ];
    const outcomes = await runScheduled(jobs, "0 * * * *", services, { logger, scheduledAt: new Date() });
    expect(outcomes.map((o) => o.outcome)).toEqual(["error", "ok"]);
    expect(logger.entries.map((e) => [e.level, e.job, e.outcome])).toEqual([
      ["error", "sched-fail", "error"],
      ["info", "sched-after-fail", "ok"],
    ]);
  });

  it("matches the cron string exactly and warns about an unknown one", async () => {
    const logger = new MemoryLogger();
    let ran = false;
    const markRan = async () => {
      ran = true;
    };
    const jobs = [job("sched-exact", markRan, "*/5 * * * *"), job("sched-exact-2", markRan, "0 3 * * *")];
    // Same schedule, different spelling: not what the trigger was registered as.
    const outcomes = await runScheduled(jobs, "*/5  * * * *", services, { logger, scheduledAt: new Date() });
    expect(outcomes).toEqual([]);
    expect(ran).toBe(false);
    expect(logger.entries).toEqual([{ level: "warn", msg: "no jobs for cron trigger", cron: "*/5  * * * *", known_crons: ["*/5 * * * *", "0 3 * * *"] }]);
  });
});
