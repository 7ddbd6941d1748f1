// Test jobs for the runner and scheduler tests: a job definition around a function, a promise to
// release by hand, and the runner's log lines of one job.
import type { MemoryLogger } from "../../src/deps/logger.ts";
import type { JobDefinition } from "../../src/jobs/types.ts";

export interface Services {
  tag: string;
}
export const services: Services = { tag: "services" };

export type Run = JobDefinition<Services>["run"];

// The runner's no-overlap guard is per job name for the whole isolate, so every test uses its own names.
export function job(name: string, run: Run, cron = "0 0 1 1 *"): JobDefinition<Services> {
  return { name, cron, description: `test job ${name}`, run };
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const utc = (s: string) => new Date(`${s}Z`);
export const jobLines = (logger: MemoryLogger, name: string) => logger.entries.filter((e) => e.msg === "job run" && e.job === name);
