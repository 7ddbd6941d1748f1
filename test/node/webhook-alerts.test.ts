// Alert events through the signed delivery machinery: an operator's endpoint on either network
// receives alert.firing and alert.resolved once each, verified by a real receiver with the
// standardwebhooks package; users cannot subscribe to them, and have no endpoints on the master.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, deadLetters, users, webhookDeliveries } from "../../schema/index.ts";
import { createApp } from "../../src/app.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { jobsFor } from "../../src/jobs/table.ts";
import { processMetrics } from "../../src/metrics/process.ts";
import { queueAlertEvents } from "../../src/webhooks/alert-deliveries.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { caller } from "../helpers/link.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { startReceiver } from "../helpers/webhook-receiver.ts";
import { openDeadLetter, type Net } from "../helpers/transfer.ts";

const ALLOW = { AIRLOCK_WEBHOOKS_ALLOW_PRIVATE: "true" };
const ALERTS = ["alert.firing", "alert.resolved"];

async function network(role: "request" | "response", env: Record<string, string> = ALLOW) {
  const clock = new ManualClock(new Date());
  const services = await nodeServices({ NETWORK_ROLE: role, ...env }, { clock });
  const net: Net = { app: createApp(services), services };
  return { net, clock, call: caller(net) };
}

/** The alerts job, then the delivery job, as the scheduler runs them. */
async function runJobs(n: Net) {
  const jobs = jobsFor(n.services.config.role);
  for (const name of ["alerts", "webhook-delivery"]) await jobs.find((j) => j.name === name)!.run(n.services, { scheduledAt: n.services.clock.now() });
}

const outcomes = (n: Net) =>
  Object.fromEntries(
    processMetrics(n.services)
      .webhookDeliveries.family()
      .samples.map((x) => [x.labels?.outcome, x.value]),
  );

describe("alert webhooks", () => {
  it("response network: an operator's endpoint gets one signed alert.firing, then one alert.resolved, and nothing more; users are refused", async () => {
    const { net, clock, call } = await network("response");
    const operator = await seedSession(net.services, { role: "operator" });
    const user = await seedSession(net.services, { role: "user" });
    const rx = await startReceiver(clock);

    // Users have no endpoints on the isolated master, whatever the events.
    const refused = await call("/v1/webhooks", { token: user.tokens.access_token, body: { url: rx.url("/u"), events: ["alert.firing"] } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "forbidden", detail: "on the response network only operators and admins have webhook endpoints" });
    expect((await call("/v1/webhooks", { token: user.tokens.access_token })).status).toBe(403);
    // Request events never happen here.
    const wrong = await call("/v1/webhooks", { token: operator.tokens.access_token, body: { url: rx.url("/ops"), events: ["request.answered"] } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: "validation_failed" });

    const created = await call("/v1/webhooks", { token: operator.tokens.access_token, body: { url: rx.url("/ops"), events: ALERTS } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    rx.secrets.set("/ops", created.body.secret);

    await runJobs(net);
    expect(rx.received).toEqual([]);

    await net.services.db.orm.insert(deadLetters).values(openDeadLetter(net));
    const firedAt = clock.now().toISOString();
    await runJobs(net);
    expect(rx.received).toHaveLength(1);
    const [fired] = rx.received;
    expect(fired.verifyError).toBeNull();
    expect(fired.body).toEqual({ type: "alert.firing", timestamp: firedAt, data: { alert: "dead_letters", state: "firing", since: firedAt, details: { in: 1, out: 0, peer: 0 } } });

    clock.advance(5 * 60_000);
    await runJobs(net);
    expect(rx.received).toHaveLength(1);

    await net.services.db.orm.update(deadLetters).set({ status: "applied" }).where(eq(deadLetters.id, "dl_1"));
    clock.advance(5 * 60_000);
    await runJobs(net);
    expect(rx.received).toHaveLength(2);
    const resolved = rx.received[1];
    expect(resolved.verifyError).toBeNull();
    expect(resolved.id).not.toBe(fired.id);
    expect(resolved.body).toMatchObject({ type: "alert.resolved", data: { alert: "dead_letters", state: "resolved", since: clock.now().toISOString() } });

    clock.advance(5 * 60_000);
    await runJobs(net);
    await runJobs(net);
    expect(rx.received).toHaveLength(2);
    expect((await net.services.db.orm.select().from(alertEvents).all()).every((e) => e.deliveredAt !== null)).toBe(true);
    expect(outcomes(net)).toEqual({ delivered: 2 });

    // The delivery log shows them, without a request.
    const log = await call(`/v1/webhooks/${created.body.id}/deliveries`, { token: operator.tokens.access_token });
    expect(log.status).toBe(200);
    expect(log.body.items.map((d: { event: string; request_id: string | null; status: string }) => [d.event, d.request_id, d.status])).toEqual([
      ["alert.resolved", null, "delivered"],
      ["alert.firing", null, "delivered"],
    ]);
  });

  it("request network: an admin's endpoint receives the alert; a user may not subscribe to alert events, and a disabled operator's endpoint gets nothing", async () => {
    const { net, clock, call } = await network("request");
    const admin = await seedSession(net.services, { role: "admin" });
    const operator = await seedSession(net.services, { role: "operator" });
    const user = await seedSession(net.services, { role: "user" });
    const rx = await startReceiver(clock);

    const refused = await call("/v1/webhooks", { token: user.tokens.access_token, body: { url: rx.url("/u"), events: ["request.answered", "alert.firing"] } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "forbidden", detail: "only operators and admins may subscribe to alert.firing" });
    const mine = await call("/v1/webhooks", { token: user.tokens.access_token, body: { url: rx.url("/u"), events: ["request.answered"] } });
    expect(mine.status).toBe(201);
    const patched = await call(`/v1/webhooks/${mine.body.id}`, { method: "PATCH", token: user.tokens.access_token, body: { events: ["alert.resolved"] } });
    expect(patched.status).toBe(403);

    const hook = await call("/v1/webhooks", { token: admin.tokens.access_token, body: { url: rx.url("/admin"), events: ["alert.firing", "request.answered"] } });
    expect(hook.status).toBe(201);
    rx.secrets.set("/admin", hook.body.secret);
    const gone = await call("/v1/webhooks", { token: operator.tokens.access_token, body: { url: rx.url("/gone"), events: ALERTS } });
    expect(gone.status).toBe(201);
    await net.services.db.orm.update(users).set({ status: "disabled" }).where(eq(users.id, operator.user.id));

    await net.services.db.orm.insert(deadLetters).values(openDeadLetter(net));
    await runJobs(net);
    await runJobs(net);
    expect(rx.received.map((r) => [r.path, r.body.type, r.verifyError])).toEqual([["/admin", "alert.firing", null]]);
    expect(await net.services.db.orm.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, gone.body.id)).all()).toEqual([]);
  });

  it("two hand-overs at once queue an alert event once; on Node the SSRF guard holds on the response network too", async () => {
    const { net, clock, call } = await network("response", {});
    const operator = await seedSession(net.services, { role: "operator" });
    const rx = await startReceiver(clock);
    const hook = await call("/v1/webhooks", { token: operator.tokens.access_token, body: { url: rx.url("/ops"), events: ALERTS } });
    expect(hook.status).toBe(201);
    await net.services.db.orm.insert(alertEvents).values({ alert: "dead_letters", state: "firing", at: clock.now().toISOString(), details: "{}" });
    const handed = await Promise.all([queueAlertEvents(net.services), queueAlertEvents(net.services), queueAlertEvents(net.services)]);
    expect(handed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(await queueAlertEvents(net.services)).toBe(0);
    const rows = await net.services.db.orm.select().from(webhookDeliveries).all();
    expect(rows).toHaveLength(1);

    await jobsFor("response")
      .find((j) => j.name === "webhook-delivery")!
      .run(net.services, { scheduledAt: clock.now() });
    expect(rx.received).toEqual([]);
    const [after] = await net.services.db.orm.select().from(webhookDeliveries).all();
    expect(after).toMatchObject({ status: "pending", attempts: 1, lastError: expect.stringMatching(/^refused: 127\.0\.0\.1 is a private/) });
    expect(outcomes(net)).toEqual({ retry: 1 });
  });
});
