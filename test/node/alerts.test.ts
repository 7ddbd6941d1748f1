// Airlock's own alerts: an idle link with a running courier fires nothing; a stopped courier fires
// "peer not heard from" at the receiver, and carrying again resolves it; each other condition fires
// and resolves, with one event per transition, visible in status, /ready and /metrics.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, auditLog, batchesIn, deadLetters, requests } from "../../schema/index.ts";
import { createApp } from "../../src/app.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { jobsFor } from "../../src/jobs/table.ts";
import { processMetrics } from "../../src/metrics/process.ts";
import { encodeBatchFile } from "../../src/transfer/batch/index.ts";
import type { MemoryLogger } from "../../src/deps/logger.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { carry, download, exportNow, openDeadLetter, upload, type Net } from "../helpers/transfer.ts";
import { PASSWORD, caller, statusOf } from "../helpers/link.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";

const MIN = 60_000;
const METRICS_TOKEN = "m".repeat(40);

async function pair(env: Record<string, string> = {}) {
  const clock = new ManualClock(new Date("2026-12-01T00:00:00Z"));
  const net = async (role: string): Promise<Net> => {
    const services = await nodeServices({ NETWORK_ROLE: role, AIRLOCK_METRICS_TOKEN: METRICS_TOKEN, ...env }, { clock });
    return { app: createApp(services), services };
  };
  const master = await net("response");
  const replica = await net("request");
  const admin = await seedSession(master.services, { role: "admin" });
  return { clock, master, replica, adminToken: admin.tokens.access_token };
}

/** Runs the alerts job as the scheduler does (lease, job_runs). */
const evaluate = async (n: Net) => {
  const job = jobsFor(n.services.config.role).find((j) => j.name === "alerts")!;
  return (await job.run(n.services, { scheduledAt: n.services.clock.now() })) as { fired?: string[]; resolved?: string[] };
};
const firing = async (n: Net) => (await n.services.db.orm.select().from(alerts).where(eq(alerts.state, "firing")).all()).map((a) => a.name).sort();
const events = (n: Net) => n.services.db.orm.select().from(alertEvents).orderBy(alertEvents.id).all();
const ready = async (n: Net) => {
  const res = await n.app.request("/ready", {}, {});
  return { status: res.status, body: (await res.json()) as any };
};
const metric = async (n: Net, alert: string) => {
  const res = await n.app.request("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, {});
  expect(res.status).toBe(200);
  const line = (await res.text()).split("\n").find((l) => l.startsWith(`airlock_alerts_active{alert="${alert}"}`));
  return Number(line?.split(" ").at(-1));
};

/** Both directions, as a courier round does: export and carry each way. */
async function round(a: Net, b: Net) {
  await carry(a, b);
  await carry(b, a);
}

describe("alert settings", () => {
  const cfg = async (env: Record<string, string>) => (await nodeServices({ NETWORK_ROLE: "request", ...env })).config.alerts;
  it("no import defaults to twice the heartbeat (off with heartbeats off); the rest to the Prometheus rules' numbers; 0 turns one off", async () => {
    expect(await cfg({})).toEqual({
      noImportMs: 120 * MIN,
      unackedMs: 60 * MIN,
      heldMs: 15 * MIN,
      pendingRequestMs: 360 * MIN,
      linkErrors: true,
      processorFailing: true,
      backendErrors: true,
    });
    expect((await cfg({ AIRLOCK_HEARTBEAT_MINUTES: "30" })).noImportMs).toBe(60 * MIN);
    expect((await cfg({ AIRLOCK_HEARTBEAT_MINUTES: "0" })).noImportMs).toBe(0);
    expect((await cfg({ AIRLOCK_ALERT_NO_IMPORT_MINUTES: "45", AIRLOCK_ALERT_HELD_MINUTES: "0" })).noImportMs).toBe(45 * MIN);
    expect((await cfg({ AIRLOCK_ALERT_HELD_MINUTES: "0" })).heldMs).toBe(0);
  });
});

describe("alerts", () => {
  it("two idle networks with a running courier fire nothing in six hours; a stopped courier fires peer_not_heard_from at the receiver; carrying again resolves it", async () => {
    const { clock, master, replica } = await pair();
    for (let t = 0; t < 6 * 60; t += 5) {
      await round(master, replica);
      await evaluate(master);
      await evaluate(replica);
      expect([...(await firing(master)), ...(await firing(replica))], `at minute ${t}`).toEqual([]);
      clock.advance(5 * MIN);
    }
    expect(await events(master)).toEqual([]);
    expect(await events(replica)).toEqual([]);
    expect((await statusOf(replica)).alerts).toEqual([]);
    expect((await ready(replica)).body.warnings).toEqual([]);
    expect(await metric(replica, "peer_not_heard_from")).toBe(0);

    // The courier stops. The threshold is twice the heartbeat (120 minutes): quiet until then.
    const lastHeard = (await statusOf(replica)).peer.last_heard_at as string;
    const stoppedAt = clock.now().getTime();
    while (clock.now().getTime() - Date.parse(lastHeard) <= 120 * MIN) {
      await evaluate(replica);
      expect(await firing(replica)).toEqual([]);
      clock.advance(5 * MIN);
    }
    expect(clock.now().getTime() - stoppedAt).toBeGreaterThan(60 * MIN);
    expect(await evaluate(replica)).toEqual({ fired: ["peer_not_heard_from"], resolved: [] });
    expect(await firing(replica)).toEqual(["peer_not_heard_from"]);
    const status = await statusOf(replica);
    expect(status.alerts).toEqual([
      { name: "peer_not_heard_from", since: clock.now().toISOString(), details: expect.objectContaining({ last_heard_at: lastHeard, threshold_minutes: 120 }) },
    ]);
    const r = await ready(replica);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "ready", warnings: [{ alert: "peer_not_heard_from", since: clock.now().toISOString() }] });
    expect(await metric(replica, "peer_not_heard_from")).toBe(1);
    expect(await metric(replica, "held_batch")).toBe(0);
    expect(await events(replica)).toEqual([expect.objectContaining({ alert: "peer_not_heard_from", state: "firing", at: clock.now().toISOString(), deliveredAt: null })]);
    const audited = await replica.services.db.orm.select().from(auditLog).where(eq(auditLog.action, "alert.firing")).all();
    expect(audited).toEqual([expect.objectContaining({ actorType: "system", targetType: "alert", targetId: "peer_not_heard_from" })]);
    expect((replica.services.logger as MemoryLogger).entries).toContainEqual(expect.objectContaining({ level: "warn", msg: "alert firing", alert: "peer_not_heard_from" }));

    // Idempotent: evaluating again in the same state adds no event and no audit entry.
    const auditCount = (await replica.services.db.orm.select().from(auditLog).all()).length;
    expect(await evaluate(replica)).toEqual({});
    expect(await events(replica)).toHaveLength(1);
    expect((await replica.services.db.orm.select().from(auditLog).all()).length).toBe(auditCount);

    // The courier runs again: the alert resolves, with its event.
    await round(master, replica);
    await round(master, replica);
    expect(await evaluate(replica)).toMatchObject({ resolved: ["peer_not_heard_from"] });
    expect(await firing(replica)).toEqual([]);
    expect((await events(replica)).map((e) => [e.alert, e.state])).toEqual([
      ["peer_not_heard_from", "firing"],
      ["peer_not_heard_from", "resolved"],
    ]);
    expect((await statusOf(replica)).alerts).toEqual([]);
    expect((await ready(replica)).body.warnings).toEqual([]);
    expect(await metric(replica, "peer_not_heard_from")).toBe(0);
    expect((replica.services.logger as MemoryLogger).entries).toContainEqual(expect.objectContaining({ level: "info", msg: "alert resolved", alert: "peer_not_heard_from" }));
  });

  it("an unacknowledged batch fires after AIRLOCK_ALERT_UNACKED_MINUTES and resolves once the peer acknowledges it", async () => {
    const { clock, master, replica, adminToken } = await pair();
    expect((await caller(master)("/v1/admin/users", { token: adminToken, body: { email: "a@example.com", name: "x", role: "user", password: PASSWORD } })).status).toBe(201);
    expect((await exportNow(master)).exported).toHaveLength(1);
    clock.advance(60 * MIN);
    await evaluate(master);
    expect(await firing(master)).toEqual([]);
    clock.advance(1 * MIN);
    expect(await evaluate(master)).toEqual({ fired: ["unacknowledged_batch"], resolved: [] });
    await round(master, replica);
    expect(await evaluate(master)).toEqual({ fired: [], resolved: ["unacknowledged_batch"] });
  });

  it("a held batch fires after AIRLOCK_ALERT_HELD_MINUTES and resolves when the earlier one arrives", async () => {
    const { clock, master, replica, adminToken } = await pair();
    const m = caller(master);
    for (const email of ["a@example.com", "b@example.com"]) {
      expect((await m("/v1/admin/users", { token: adminToken, body: { email, name: "x", role: "user", password: PASSWORD } })).status).toBe(201);
      await exportNow(master);
    }
    const [first, second] = await download(master);
    expect((await upload(replica, second.file)).body.outcome).toBe("held");
    clock.advance(15 * MIN);
    await evaluate(replica);
    expect(await firing(replica)).toEqual([]);
    clock.advance(1 * MIN);
    expect(await evaluate(replica)).toEqual({ fired: ["held_batch"], resolved: [] });
    expect((await statusOf(replica)).alerts[0].details).toMatchObject({ held: 1, gaps: [{ from: first.sequence, to: first.sequence }] });
    expect((await upload(replica, first.file)).body.outcome).toBe("applied");
    expect(await evaluate(replica)).toEqual({ fired: [], resolved: ["held_batch"] });
  });

  it("quarantined batches and dead letters fire at once and resolve when dealt with; AIRLOCK_ALERT_LINK_ERRORS=0 keeps them quiet", async () => {
    const { master, replica } = await pair();
    const header = Buffer.from(JSON.stringify({ alg: "EdDSA", kid: "forged" })).toString("base64url");
    const forged = encodeBatchFile(
      `${header}.${Buffer.from("{}").toString("base64url")}.${"A".repeat(86)}`,
      new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    );
    expect((await upload(replica, forged)).body.outcome).toBe("quarantined");
    expect(await evaluate(replica)).toEqual({ fired: ["quarantined_batches"], resolved: [] });
    // An operator supersedes or discards it: no longer quarantined.
    await replica.services.db.orm.update(batchesIn).set({ outcome: "superseded" }).where(eq(batchesIn.outcome, "quarantined"));
    expect(await evaluate(replica)).toEqual({ fired: [], resolved: ["quarantined_batches"] });

    await master.services.db.orm.insert(deadLetters).values(openDeadLetter(master));
    expect(await evaluate(master)).toEqual({ fired: ["dead_letters"], resolved: [] });
    expect((await statusOf(master)).alerts).toEqual([expect.objectContaining({ name: "dead_letters", details: { in: 1, out: 0, peer: 0 } })]);
    await master.services.db.orm.update(deadLetters).set({ status: "applied" }).where(eq(deadLetters.id, "dl_1"));
    expect(await evaluate(master)).toEqual({ fired: [], resolved: ["dead_letters"] });
    expect((await events(master)).map((e) => e.state)).toEqual(["firing", "resolved"]);

    const quiet = await pair({ AIRLOCK_ALERT_LINK_ERRORS: "0" });
    expect((await upload(quiet.replica, forged)).body.outcome).toBe("quarantined");
    await evaluate(quiet.replica);
    expect(await firing(quiet.replica)).toEqual([]);
  });

  it("the oldest pending request and processor failures fire and resolve", async () => {
    const { clock, master, replica, adminToken } = await pair({ AIRLOCK_ALERT_PENDING_REQUEST_MINUTES: "30" });
    const m = caller(master);
    expect((await m("/v1/admin/users", { token: adminToken, body: { email: "u@example.com", name: "U", role: "user", password: PASSWORD } })).status).toBe(201);
    await carry(master, replica);
    const r = caller(replica);
    const token = (await r("/v1/auth/token", { body: { email: "u@example.com", password: PASSWORD } })).body.access_token as string;
    const sub = await r("/v1/requests", { token, body: { topic: "t", body: { q: 1 } } });
    expect(sub.status).toBe(202);
    await carry(replica, master);
    clock.advance(30 * MIN);
    await evaluate(replica);
    expect(await firing(replica)).toEqual([]);
    clock.advance(1 * MIN);
    expect(await evaluate(replica)).toEqual({ fired: ["oldest_pending_request"], resolved: [] });

    // On the master the processor's last call failed.
    await master.services.db.orm.update(requests).set({ processorError: "503 from the processor" }).where(eq(requests.id, sub.body.id));
    expect((await evaluate(master)).fired).toContain("processor_failing");
    await master.services.db.orm.update(requests).set({ processorError: null }).where(eq(requests.id, sub.body.id));
    expect((await evaluate(master)).resolved).toEqual(["processor_failing"]);

    // The requester gives up (a fresh token: the clock moved past the first one's lifetime).
    const again = (await r("/v1/auth/token", { body: { email: "u@example.com", password: PASSWORD } })).body.access_token as string;
    const cancel = await r(`/v1/requests/${sub.body.id}/cancel`, { token: again, body: {} });
    expect(cancel.status, JSON.stringify(cancel.body)).toBeLessThan(300);
    expect(await evaluate(replica)).toEqual({ fired: [], resolved: ["oldest_pending_request"] });
  });

  it("rate limiter and cache backend errors fire on the evaluation after they were counted, and resolve on the next quiet one", async () => {
    const { replica } = await pair();
    const pm = processMetrics(replica.services);
    pm.limiterErrors.inc({ on_error: "open" });
    pm.cacheErrors.inc({ op: "get" }, 3);
    expect(await evaluate(replica)).toEqual({ fired: ["rate_limiter_errors", "cache_errors"], resolved: [] });
    expect((await statusOf(replica)).alerts.find((a: any) => a.name === "cache_errors").details).toEqual({ errors: 3 });
    expect(await evaluate(replica)).toEqual({ fired: [], resolved: ["rate_limiter_errors", "cache_errors"] });
  });
});
