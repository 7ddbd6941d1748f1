import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

// One drizzle schema for D1 and libSQL. Times are ISO-8601 UTC text
// (sortable, readable in JSON and in the batch files).

/** One row per scheduled-job run, on both networks. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    job: text("job").notNull(),
    trigger: text("trigger").notNull(), // "cron" | "manual" | "interval"
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    outcome: text("outcome").notNull(), // "running" | "ok" | "error" | "skipped"
    summary: text("summary"), // JSON
    error: text("error"),
  },
  (t) => [index("job_runs_job_started").on(t.job, t.startedAt)],
);

/** Leases so a job still running (in any isolate or process) is not started again. */
export const jobLocks = sqliteTable("job_locks", {
  job: text("job").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: text("expires_at").notNull(),
});
