import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker, { type WorkerEnv } from "../../src/runtime/worker.ts";

describe("the requests' jobs (cache maintenance, retention) from the Workers scheduled handler", () => {
  it('"7 * * * *" runs the cache maintenance: a statistics snapshot lands in D1', async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date("2026-11-21T04:07:00Z"), cron: "7 * * * *" }), env as unknown as WorkerEnv, ctx);
    await waitOnExecutionContext(ctx);
    const snap = await env.DB.prepare("SELECT stats FROM cache_stats_snapshots ORDER BY id DESC LIMIT 1").first<{ stats: string }>();
    expect(JSON.parse(snap!.stats)).toMatchObject({ store: "memory", available: true, health: { status: "ok" } });
    const run = await env.DB.prepare("SELECT outcome, summary FROM job_runs WHERE job = 'cache-maintenance' ORDER BY id DESC LIMIT 1").first<{
      outcome: string;
      summary: string;
    }>();
    expect(run!.outcome).toBe("ok");
    expect(JSON.parse(run!.summary)).toMatchObject({ health: "ok" });
  });

  it('"17 3 * * *" runs the retention (expired idempotency records go) before housekeeping', async () => {
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (user_id, key, fingerprint, state, created_at, expires_at) VALUES ('u', 'k', 'f', 'done', '2000-01-01T00:00:00.000Z', '2000-01-02T00:00:00.000Z')",
    ).run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date("2026-11-21T03:17:00Z"), cron: "17 3 * * *" }), env as unknown as WorkerEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'k'").first<{ n: number }>())!.n).toBe(0);
    const run = await env.DB.prepare("SELECT outcome, summary FROM job_runs WHERE job = 'request-retention' ORDER BY id DESC LIMIT 1").first<{
      outcome: string;
      summary: string;
    }>();
    expect(run!.outcome).toBe("ok");
    expect(JSON.parse(run!.summary)).toMatchObject({ idempotency_keys: 1, retention_days: 365 });
  });
});
