import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker, { type WorkerEnv } from "../../src/runtime/worker.ts";

describe("scheduled() on workerd", () => {
  it("runs the job table's job for the trigger's cron and records the run in D1", async () => {
    const db = env.DB;
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await db
      .prepare("INSERT INTO job_runs (job, trigger, started_at, outcome) VALUES ('housekeeping', 'cron', ?, 'ok'), ('housekeeping', 'cron', ?, 'ok')")
      .bind(old, recent)
      .run();

    const ctrl = createScheduledController({ scheduledTime: new Date("2026-11-21T03:17:00Z"), cron: "17 3 * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled(ctrl, env as unknown as WorkerEnv, ctx);
    await waitOnExecutionContext(ctx);

    const rows = await db.prepare("SELECT started_at, outcome, summary FROM job_runs ORDER BY id").all<{ started_at: string; outcome: string; summary: string | null }>();
    const startedAts = rows.results.map((r) => r.started_at);
    expect(startedAts).not.toContain(old); // purged by the job
    expect(startedAts).toContain(recent); // kept
    const run = rows.results.at(-1)!;
    expect(run.outcome).toBe("ok");
    expect(JSON.parse(run.summary!)).toEqual({ deleted_job_runs: 1 });
    // The lease was released.
    expect((await db.prepare("SELECT count(*) AS n FROM job_locks").first<{ n: number }>())!.n).toBe(0);
  });

  it("a cron string with no job runs nothing", async () => {
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM job_runs").first<{ n: number }>())!.n;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "1 1 1 1 1" }), env as unknown as WorkerEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM job_runs").first<{ n: number }>())!.n).toBe(before);
  });
});
