import { systemClock, type Clock } from "../deps/clock.ts";
import type { Logger, LogLevel } from "../deps/logger.ts";
import type { JobDefinition, JobResult } from "./types.ts";

export type JobOutcomeKind = "ok" | "error" | "skipped";

export interface JobOutcome {
  job: string;
  outcome: JobOutcomeKind;
  duration_ms: number;
  /** The job's summary, when it returned one. */
  result?: JobResult;
  /** The error message, when the job threw. */
  error?: string;
  /** Why the job was not run (`already_running`, `scheduler_stopped`). */
  reason?: string;
}

export interface RunJobOptions {
  logger: Logger;
  /** Used for duration_ms too, so tests with a ManualClock control it. Defaults to the system clock. */
  clock?: Clock;
  /** The minute the run is for (Workers: `controller.scheduledTime`). */
  scheduledAt: Date;
  signal?: AbortSignal;
}

// Names of jobs running in this isolate. A cron tick, interval tick or manual run that
// arrives while the same job is still going is skipped rather than run concurrently.
// Keyed by the services object too: two networks in one process (npm start, tests) run the same job names independently.
const runningBy = new WeakMap<object, Set<string>>();
function runningFor(services: unknown): Set<string> {
  const key = (typeof services === "object" && services !== null ? services : runningBy) as object;
  let set = runningBy.get(key);
  if (!set) {
    set = new Set();
    runningBy.set(key, set);
  }
  return set;
}

const LEVEL: Record<JobOutcomeKind, LogLevel> = { ok: "info", error: "error", skipped: "warn" };

function logOutcome(logger: Logger, outcome: JobOutcome, scheduledAt: Date, stack?: string): void {
  const fields: Record<string, unknown> = {
    job: outcome.job,
    outcome: outcome.outcome,
    duration_ms: outcome.duration_ms,
    scheduled_at: scheduledAt.toISOString(),
  };
  if (outcome.result !== undefined) fields.result = outcome.result;
  if (outcome.error !== undefined) fields.error = outcome.error;
  if (stack !== undefined) fields.stack = stack;
  if (outcome.reason !== undefined) fields.reason = outcome.reason;
  try {
    logger.log(LEVEL[outcome.outcome], "job run", fields);
  } catch {
    // A broken logger must not turn a finished job into a rejected promise.
  }
}

/**
 * Runs one job and logs exactly one line for the outcome. Never throws: a failing job
 * resolves with `outcome: "error"`.
 */
export async function runJob<S>(job: JobDefinition<S>, services: S, opts: RunJobOptions): Promise<JobOutcome> {
  const clock = opts.clock ?? systemClock;
  const running = runningFor(services);
  if (running.has(job.name)) {
    const skipped: JobOutcome = { job: job.name, outcome: "skipped", duration_ms: 0, reason: "already_running" };
    logOutcome(opts.logger, skipped, opts.scheduledAt);
    return skipped;
  }

  running.add(job.name);
  const started = clock.now().getTime();
  let outcome: JobOutcome;
  let stack: string | undefined;
  try {
    const result = await job.run(services, { scheduledAt: opts.scheduledAt, signal: opts.signal });
    outcome = { job: job.name, outcome: "ok", duration_ms: clock.now().getTime() - started };
    if (result) outcome.result = result;
  } catch (err) {
    outcome = {
      job: job.name,
      outcome: "error",
      duration_ms: clock.now().getTime() - started,
      error: err instanceof Error ? err.message : String(err),
    };
    stack = err instanceof Error ? err.stack : undefined;
  } finally {
    running.delete(job.name);
  }
  logOutcome(opts.logger, outcome, opts.scheduledAt, stack);
  return outcome;
}

/**
 * The Workers `scheduled` handler's body: runs, one after another, every job whose `cron`
 * is exactly `cron` (Cloudflare sends the trigger string as written in wrangler.toml).
 */
export async function runScheduled<S>(jobs: readonly JobDefinition<S>[], cron: string, services: S, opts: RunJobOptions): Promise<JobOutcome[]> {
  const matching = jobs.filter((j) => j.cron === cron);
  if (matching.length === 0) {
    try {
      opts.logger.log("warn", "no jobs for cron trigger", {
        cron,
        known_crons: [...new Set(jobs.map((j) => j.cron))],
      });
    } catch {
      // see logOutcome
    }
    return [];
  }
  const outcomes: JobOutcome[] = [];
  for (const job of matching) outcomes.push(await runJob(job, services, opts));
  return outcomes;
}
