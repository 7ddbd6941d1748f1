import type { Services } from "../services.ts";
import { jobsFor } from "../jobs/table.ts";
import { startScheduler, type Scheduler } from "../jobs/scheduler.ts";

export type RunningJobs = Scheduler;

/** Node/Deno: the in-process scheduler runs the same job table Workers' cron triggers run. */
export function startNetworkJobs(s: Services): RunningJobs {
  const every = s.config.transfer.intervalMs;
  const intervalOverrides = every ? { "transfer-import": every, "transfer-export": every } : undefined;
  return startScheduler(jobsFor(s.config.role), s, { logger: s.logger, clock: s.clock, intervalOverrides });
}
