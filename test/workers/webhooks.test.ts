// Webhooks inside workerd: an endpoint registered on the Worker's request network receives a
// cancel's event from the delivery job, and an operator's on the response network an alert, signed
// (verified in Node by the standardwebhooks package).
import { describe, expect, inject, it } from "vitest";
import { workerHarness } from "./harness.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { sendJson } from "../helpers/http.ts";
import { runWebhookDeliveries } from "../../src/webhooks/deliver.ts";
import { alertEvents } from "../../schema/index.ts";

describe("webhooks (workerd)", () => {
  it("registers an endpoint and delivers a request.cancelled to a receiver once, signed", async () => {
    const { app, services } = await workerHarness.app();
    const call = (path: string, init?: Parameters<typeof sendJson>[2]) => sendJson((p, i) => app.request(p, i, {}), path, init);
    const me = await seedSession(services, { role: "user" });
    const token = me.tokens.access_token;
    const base = inject("webhookReceiver");
    const path = `/hook-${crypto.randomUUID()}`;
    const created = await call("/v1/webhooks", { token, body: { url: base + path, events: ["request.cancelled"] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await fetch(`${base}/_secret`, { method: "POST", body: JSON.stringify({ path, secret: created.body.secret }) });
    const sub = await call("/v1/requests", { token, body: { topic: "t", body: { q: 1 } } });
    expect(sub.status).toBe(202);
    expect((await call(`/v1/requests/${sub.body.id}/cancel`, { token, body: {} })).status).toBe(200);
    expect(await runWebhookDeliveries(services)).toMatchObject({ delivered: 1 });
    expect(await runWebhookDeliveries(services)).toEqual({});
    const received = ((await (await fetch(`${base}/_received`)).json()) as Array<{ path: string; body: any; verifyError: string | null }>).filter((r) => r.path === path);
    expect(received.map((r) => [r.body.type, r.body.data, r.verifyError])).toEqual([["request.cancelled", { request_id: sub.body.id, status: "cancelled" }, null]]);
    const log = await call(`/v1/webhooks/${created.body.id}/deliveries`, { token });
    expect(log.body.items).toMatchObject([{ event: "request.cancelled", status: "delivered", attempts: 1, last_status: 200 }]);
  });

  it("an operator's endpoint on the response network receives an alert.firing once, signed; a user has none there", async () => {
    const { app, services } = await workerHarness.app(undefined, { role: "response" });
    const call = (path: string, init?: Parameters<typeof sendJson>[2]) => sendJson((p, i) => app.request(p, i, {}), path, init);
    const op = await seedSession(services, { role: "operator" });
    const user = await seedSession(services, { role: "user" });
    const base = inject("webhookReceiver");
    const path = `/alerts-${crypto.randomUUID()}`;
    expect((await call("/v1/webhooks", { token: user.tokens.access_token, body: { url: base + path, events: ["alert.firing"] } })).status).toBe(403);
    const created = await call("/v1/webhooks", { token: op.tokens.access_token, body: { url: base + path, events: ["alert.firing", "alert.resolved"] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await fetch(`${base}/_secret`, { method: "POST", body: JSON.stringify({ path, secret: created.body.secret }) });
    const at = services.clock.now().toISOString();
    await services.db.orm.insert(alertEvents).values({ alert: "dead_letters", state: "firing", at, details: JSON.stringify({ in: 1, out: 0, peer: 0 }) });
    expect(await runWebhookDeliveries(services)).toMatchObject({ delivered: 1, alert_events: 1 });
    expect(await runWebhookDeliveries(services)).toEqual({});
    const received = ((await (await fetch(`${base}/_received`)).json()) as Array<{ path: string; body: any; verifyError: string | null }>).filter((r) => r.path === path);
    expect(received.map((r) => [r.body.type, r.body.data, r.verifyError])).toEqual([
      ["alert.firing", { alert: "dead_letters", state: "firing", since: at, details: { in: 1, out: 0, peer: 0 } }, null],
    ]);
  });
});
