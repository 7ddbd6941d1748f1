import { eq } from "drizzle-orm";
import { jobRuns } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { JobDefinition, JobResult } from "./types.ts";
import { withJobLease } from "./lease.ts";
import { housekeeping } from "./housekeeping.ts";

type Job = JobDefinition<Services> & { roles: Array<"request" | "response">; leaseMs: number };

/**
 * THE job table. Workers' cron triggers (wrangler.toml `[triggers] crons`) and
 * the Node/Deno scheduler both read it; a test checks wrangler.toml lists
 * exactly these cron strings.
 */
const TABLE: Job[] = [
  {
    name: "housekeeping",
    cron: "17 3 * * *",
    description: "Delete job-run records older than 30 days",
    roles: ["request", "response"],
    leaseMs: 10 * 60_000,
    run: housekeeping,
  },
];

/** Every run is recorded in job_runs and guarded by a database lease. */
function recorded(job: Job): JobDefinition<Services> {
  return {
    ...job,
    async run(s, ctx) {
      const [row] = await s.db.orm
        .insert(jobRuns)
        .values({ job: job.name, trigger: "cron", startedAt: s.clock.now().toISOString(), outcome: "running" })
        .returning({ id: jobRuns.id });
      const finish = (outcome: string, summary?: JobResult, error?: string) =>
        s.db.orm
          .update(jobRuns)
          .set({ outcome, finishedAt: s.clock.now().toISOString(), summary: summary ? JSON.stringify(summary) : null, error: error ?? null })
          .where(eq(jobRuns.id, row.id));
      try {
        const r = await withJobLease(s, job.name, job.leaseMs, () => job.run(s, ctx));
        if (!r.ran) {
          await finish("skipped", { reason: "lease_held" });
          return { skipped: "lease_held" };
        }
        await finish("ok", r.value ?? undefined);
        return r.value;
      } catch (e) {
        await finish("error", undefined, e instanceof Error ? e.message : String(e));
        throw e;
      }
    },
  };
}

export const ALL_JOBS = TABLE;

/** The jobs one network runs. */
export function jobsFor(role: "request" | "response"): JobDefinition<Services>[] {
  return TABLE.filter((j) => j.roles.includes(role)).map(recorded);
}
