import type { Services } from "../services.ts";
import { TRANSFER_CADENCE, jobsFor } from "../jobs/table.ts";
import { startScheduler, type Scheduler } from "../jobs/scheduler.ts";

export type RunningJobs = Scheduler;

/** Node/Deno: the in-process scheduler runs the same job table Workers' cron triggers run. */
export function startNetworkJobs(s: Services): RunningJobs {
  const jobs = jobsFor(s.config.role);
  const every = s.config.transfer.intervalMs;
  const intervalOverrides = every ? Object.fromEntries(jobs.filter((j) => TRANSFER_CADENCE.has(j.name)).map((j) => [j.name, every])) : undefined;
  return startScheduler(jobs, s, { logger: s.logger, clock: s.clock, intervalOverrides });
}
