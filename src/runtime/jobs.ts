import type { Services } from "../services.ts";
import { jobsFor } from "../jobs/table.ts";
import { startScheduler, type Scheduler } from "../jobs/scheduler.ts";

export type RunningJobs = Scheduler;

/** Node/Deno: the in-process scheduler runs the same job table Workers' cron triggers run. */
export function startNetworkJobs(s: Services): RunningJobs {
  const every = s.config.transfer.intervalMs;
  // The processor runs on the transfer's cadence too, so with one configured an answer is on its way back within seconds.
  let intervalOverrides: Record<string, number> | undefined;
  if (every) {
    intervalOverrides = { "transfer-import": every, "transfer-export": every };
    if (s.config.role === "response") intervalOverrides["request-processor"] = every;
  }
  return startScheduler(jobsFor(s.config.role), s, { logger: s.logger, clock: s.clock, intervalOverrides });
}
