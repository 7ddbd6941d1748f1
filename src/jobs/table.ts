import { jobRuns } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { JobDefinition, JobResult } from "./types.ts";
import { withJobLease } from "./lease.ts";
import { housekeeping } from "./housekeeping.ts";
import { runProcessor } from "../requests/processor.ts";
import { cacheMaintenance, requestRetention } from "../requests/jobs.ts";
import { transferExport, transferImport } from "./transfer.ts";
import { runWebhookDeliveries } from "../webhooks/deliver.ts";
import { pruneDeliveries } from "../webhooks/retention.ts";
import { evaluateAlerts } from "../alerts/evaluate.ts";

type Job = JobDefinition<Services> & {
  roles: Array<"request" | "response">;
  leaseMs: number;
  /** Runs every AIRLOCK_TRANSFER_INTERVAL_SECONDS instead of its cron when that is set (Node/Deno, local development). */
  transferCadence?: true;
};

/**
 * THE job table. Workers' cron triggers (wrangler.toml `[triggers] crons`) and
 * the Node/Deno scheduler both read it; a test checks wrangler.toml lists
 * exactly these cron strings.
 */
const TABLE: Job[] = [
  // Same cron string: Workers runs both, in this order, for one trigger.
  {
    name: "transfer-import",
    cron: "*/5 * * * *",
    description: "Verify and apply batches from the other network (inbox area, then held batches)",
    roles: ["request", "response"],
    leaseMs: 5 * 60_000,
    transferCadence: true,
    run: transferImport,
  },
  {
    // Right after the import, which queues the deliveries of what it changed.
    name: "webhook-delivery",
    cron: "*/5 * * * *",
    description: "Queue alert events for operators' endpoints, send due webhook messages, signed, and schedule retries",
    roles: ["request", "response"],
    leaseMs: 5 * 60_000,
    transferCadence: true,
    run: (s) => runWebhookDeliveries(s),
  },
  {
    // Between import and export: requests just received are answered and the answers leave with this trigger's export.
    name: "request-processor",
    cron: "*/5 * * * *",
    description: "POST received requests to AIRLOCK_PROCESSOR_URL and record its answers (retries with backoff)",
    roles: ["response"],
    leaseMs: 10 * 60_000,
    transferCadence: true,
    run: runProcessor,
  },
  {
    name: "transfer-export",
    cron: "*/5 * * * *",
    description: "Turn the outbox into signed batch files for the courier",
    roles: ["request", "response"],
    leaseMs: 5 * 60_000,
    transferCadence: true,
    run: transferExport,
  },
  {
    // Last on the 5-minute trigger: it sees what this trigger's import and export did.
    name: "alerts",
    cron: "*/5 * * * *",
    description: "Evaluate the alert conditions (docs/alerts.md) and record each firing or resolved alert as an event",
    roles: ["request", "response"],
    leaseMs: 5 * 60_000,
    run: evaluateAlerts,
  },
  {
    // Daily, on housekeeping's trigger (one cron string fewer), before it.
    name: "request-retention",
    cron: "17 3 * * *",
    description: "Purge expired idempotency records and claims, old cache snapshots and, per AIRLOCK_REQUEST_RETENTION_DAYS, old finished requests",
    roles: ["request", "response"],
    leaseMs: 10 * 60_000,
    run: requestRetention,
  },
  {
    name: "webhook-retention",
    cron: "17 3 * * *",
    description: "Delete delivered and failed webhook messages older than 30 days",
    roles: ["request", "response"],
    leaseMs: 10 * 60_000,
    run: pruneDeliveries,
  },
  {
    name: "housekeeping",
    cron: "17 3 * * *",
    description: "Delete job-run records older than 30 days",
    roles: ["request", "response"],
    leaseMs: 10 * 60_000,
    run: housekeeping,
  },
  {
    name: "cache-maintenance",
    cron: "7 * * * *",
    description: "Prune per-user cache indexes, persist a cache statistics snapshot, check the cache store",
    roles: ["request", "response"],
    leaseMs: 10 * 60_000,
    run: cacheMaintenance,
  },
];

/**
 * Every run is guarded by a database lease, and recorded in job_runs when it
 * did something or failed (idle runs every few seconds in development are not).
 */
function recorded(job: Job): JobDefinition<Services> {
  return {
    ...job,
    async run(s, ctx) {
      const startedAt = s.clock.now().toISOString();
      const record = (outcome: string, summary?: JobResult, error?: string) =>
        s.db.orm.insert(jobRuns).values({
          job: job.name,
          trigger: "cron",
          startedAt,
          finishedAt: s.clock.now().toISOString(),
          outcome,
          summary: summary ? JSON.stringify(summary) : null,
          error: error ?? null,
        });
      try {
        const r = await withJobLease(s, job.name, job.leaseMs, () => job.run(s, ctx));
        if (!r.ran) return { skipped: "lease_held" };
        if (r.value && Object.keys(r.value).length) await record("ok", r.value);
        return r.value;
      } catch (e) {
        await record("error", undefined, e instanceof Error ? e.message : String(e));
        throw e;
      }
    },
  };
}

export const ALL_JOBS = TABLE;

/** Jobs that follow the transfer interval when one is set. */
export const TRANSFER_CADENCE = new Set(TABLE.filter((j) => j.transferCadence).map((j) => j.name));

/** The jobs one network runs. */
export function jobsFor(role: "request" | "response"): JobDefinition<Services>[] {
  return TABLE.filter((j) => j.roles.includes(role)).map(recorded);
}
