/** A summary of what a job did; it is logged with the run's outcome line. */
export type JobResult = Record<string, unknown>;

/**
 * One scheduled job. `cron` must be byte-for-byte the string in wrangler.toml's
 * `[triggers] crons`: on Workers the job is picked by exact match on `event.cron`.
 */
export interface JobDefinition<S = unknown> {
  name: string;
  cron: string;
  description: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a job with nothing to report simply returns
  run(services: S, ctx: { scheduledAt: Date; signal?: AbortSignal }): Promise<JobResult | void>;
}
