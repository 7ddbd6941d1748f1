// In-process scheduler for Node and Deno: fires the same job table that Cloudflare cron
// triggers fire on Workers, on the same UTC minutes. Runtime-neutral (setTimeout only).
import { systemClock, type Clock } from "../deps/clock.ts";
import type { Logger } from "../deps/logger.ts";
import { nextCronRun, parseCron, type CronSchedule } from "./cron.ts";
import { runJob, type JobOutcome } from "./runner.ts";
import type { JobDefinition } from "./types.ts";

export interface SchedulerOptions {
  logger: Logger;
  /** Must move with the timers (system clock, or vitest fake timers, which also fake Date). */
  clock?: Clock;
  /** Job name -> run every N ms instead of on its cron (local development). */
  intervalOverrides?: Record<string, number>;
}

export interface Scheduler {
  /** Clears all timers, aborts the signal handed to running jobs, and waits for them to settle. */
  stop(): Promise<void>;
  /** Runs a job now (outside its schedule); still skipped if that job is already running. */
  runNow(name: string): Promise<JobOutcome>;
}

type Timer = ReturnType<typeof setTimeout>;

// setTimeout stores delays as 32-bit ints; longer ones fire immediately, so wait in chunks.
const MAX_TIMER_MS = 2_147_483_647;

/** Lets the process exit while only scheduler timers are pending. No node imports. */
function unref(timer: Timer): void {
  const t = timer as unknown as { unref?: () => void };
  if (typeof t.unref === "function") {
    t.unref(); // Node
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof timer === "number" && typeof deno?.unrefTimer === "function") deno.unrefTimer(timer);
}

export function startScheduler<S>(jobs: readonly JobDefinition<S>[], services: S, opts: SchedulerOptions): Scheduler {
  const { logger } = opts;
  const clock = opts.clock ?? systemClock;
  const overrides = opts.intervalOverrides ?? {};

  // Validate everything before arming any timer, so a bad table fails at startup.
  const byName = new Map<string, JobDefinition<S>>();
  const schedules = new Map<string, CronSchedule>();
  for (const job of jobs) {
    if (byName.has(job.name)) throw new Error(`Duplicate job name "${job.name}"`);
    byName.set(job.name, job);
    schedules.set(job.name, parseCron(job.cron));
  }
  for (const [name, ms] of Object.entries(overrides)) {
    if (!byName.has(name)) logger.log("warn", "interval override for unknown job", { job: name });
    else if (!Number.isFinite(ms) || ms <= 0) throw new Error(`Interval override for "${name}" must be a positive number of ms`);
  }

  const timers = new Map<string, Timer>();
  const inFlight = new Set<Promise<JobOutcome>>();
  const abort = new AbortController();
  let stopped = false;
  let stopping: Promise<void> | undefined;

  function launch(job: JobDefinition<S>, scheduledAt: Date): Promise<JobOutcome> {
    // runJob never rejects, so tracking it cannot produce an unhandled rejection.
    const run = runJob(job, services, { logger, clock, scheduledAt, signal: abort.signal });
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return run;
  }

  function arm(name: string, delayMs: number, fire: () => void): void {
    const timer = setTimeout(
      () => {
        timers.delete(name);
        if (!stopped) fire();
      },
      Math.min(Math.max(delayMs, 0), MAX_TIMER_MS),
    );
    unref(timer);
    timers.set(name, timer);
  }

  function scheduleCron(job: JobDefinition<S>, schedule: CronSchedule, next: Date): void {
    arm(job.name, next.getTime() - clock.now().getTime(), () => {
      const now = clock.now();
      // Timers may fire a little early, or be a chunk of a long wait: never run before the minute.
      if (now < next) return scheduleCron(job, schedule, next);
      // Arm the following minute before running, strictly after both this minute and now:
      // the same minute never runs twice, missed minutes are not replayed in a burst, and a
      // run still going at the next tick is skipped (and logged) by runJob's guard.
      scheduleCron(job, schedule, nextCronRun(schedule, now > next ? now : next));
      void launch(job, next);
    });
  }

  function scheduleInterval(job: JobDefinition<S>, everyMs: number): void {
    arm(job.name, everyMs, () => {
      scheduleInterval(job, everyMs);
      void launch(job, clock.now());
    });
  }

  const plan: Array<Record<string, unknown>> = [];
  for (const job of jobs) {
    const everyMs = overrides[job.name];
    if (everyMs !== undefined) {
      scheduleInterval(job, everyMs);
      plan.push({ job: job.name, every_ms: everyMs });
    } else {
      const next = nextCronRun(schedules.get(job.name)!, clock.now());
      scheduleCron(job, schedules.get(job.name)!, next);
      plan.push({ job: job.name, cron: job.cron, next_run: next.toISOString() });
    }
  }
  logger.log("info", "scheduler started", { jobs: plan });

  return {
    runNow(name) {
      const job = byName.get(name);
      if (!job) return Promise.reject(new Error(`Unknown job "${name}"`));
      if (stopped) return Promise.reject(new Error(`Scheduler is stopped; not running "${name}"`));
      return launch(job, clock.now());
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        for (const timer of timers.values()) clearTimeout(timer);
        timers.clear();
        abort.abort();
        await Promise.allSettled([...inFlight]);
        logger.log("info", "scheduler stopped", {});
      })();
      return stopping;
    },
  };
}
