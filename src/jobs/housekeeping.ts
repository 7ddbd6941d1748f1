import { lt } from "drizzle-orm";
import { jobRuns } from "../../schema/index.ts";
import type { Services } from "../services.ts";

export const JOB_RUN_RETENTION_DAYS = 30;

/** Daily: forget job-run records older than the retention period. */
export async function housekeeping(s: Services) {
  const cutoff = new Date(s.clock.now().getTime() - JOB_RUN_RETENTION_DAYS * 86_400_000).toISOString();
  const deleted = await s.db.orm.delete(jobRuns).where(lt(jobRuns.startedAt, cutoff)).returning({ id: jobRuns.id });
  return { deleted_job_runs: deleted.length };
}
