import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { eq } from "drizzle-orm";
import { users, webhookDeliveries, webhookEndpoints } from "../../schema/index.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { runWebhookDeliveries } from "../../src/webhooks/deliver.ts";
import { pruneDeliveries } from "../../src/webhooks/retention.ts";
import { redactString } from "../../src/lib/redact.ts";
import { MAX_ATTEMPTS, retryAfterMs, retryDelayMs } from "../../src/webhooks/schedule.ts";
import { isPrivateAddress } from "../../src/lib/ip.ts";
import { newSecret, sign } from "../../src/webhooks/signing.ts";
import { linkedNetworks, PASSWORD, caller, roundTrip } from "../helpers/link.ts";
import { nodeApp } from "../helpers/node-app.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { seedApiKey } from "../helpers/identity-fixtures.ts";
import { startReceiver } from "../helpers/webhook-receiver.ts";
import type { Net } from "../helpers/transfer.ts";

const ALLOW = { AIRLOCK_WEBHOOKS_ALLOW_PRIVATE: "true" };
const REQUEST_EVENTS = ["request.received", "request.answered", "request.rejected", "request.cancelled"];
const MIN = 60_000;

/** A request network on its own, with a user, and its clock in the test's hands. */
async function replicaOnly(env: Record<string, string> = ALLOW) {
  const net = await nodeApp({ NETWORK_ROLE: "request", ...env });
  const clock = new ManualClock(new Date());
  net.services.clock = clock;
  const me = await seedSession(net.services, { role: "user" });
  return { net, clock, me, call: caller(net), token: me.tokens.access_token };
}

async function register(call: ReturnType<typeof caller>, token: string, body: Record<string, unknown>) {
  const res = await call("/v1/webhooks", { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
}

async function submitAndCancel(call: ReturnType<typeof caller>, token: string) {
  const sub = await call("/v1/requests", { token, body: { topic: "t", body: { q: 1 } } });
  expect(sub.status).toBe(202);
  expect((await call(`/v1/requests/${sub.body.id}/cancel`, { token, body: {} })).status).toBe(200);
  return sub.body.id as string;
}

const deliveriesOf = (n: Net, endpointId: string) => n.services.db.orm.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId)).all();

describe("webhooks", () => {
  it("an answer imported through a batch reaches a real receiver once per event, signed; after three failures the retry carries the same webhook-id", async () => {
    const net = await linkedNetworks(ALLOW);
    const clock = new ManualClock(new Date());
    net.replica.services.clock = clock;
    // The thin endpoint fails the answer three times, then recovers.
    const rx = await startReceiver(clock, (r, all) => {
      if (r.path === "/thin" && r.body.type === "request.answered" && all.filter((x) => x.id === r.id).length <= 3) return { status: 500 };
      return { status: 200 };
    });
    const thin = await register(net.r, net.tokens.user, { url: rx.url("/thin"), events: REQUEST_EVENTS });
    const full = await register(net.r, net.tokens.user, { url: rx.url("/full"), events: ["request.answered"], include_answer: true });
    rx.secrets.set("/thin", thin.secret);
    rx.secrets.set("/full", full.secret);
    expect(thin.secret).toMatch(/^whsec_/);

    const id = await roundTrip(net, { q: "secret stuff" });
    const run = () => runWebhookDeliveries(net.replica.services);
    expect(await run()).toEqual({ delivered: 2, retrying: 1, failed: 0, disabled: 0 });
    for (const wait of [6_000, 6 * MIN, 40 * MIN]) {
      expect(await run()).toEqual({}); // nothing due yet
      clock.advance(wait);
      await run();
    }
    clock.advance(24 * 60 * MIN);
    expect(await run()).toEqual({});

    expect(rx.received.every((r) => r.verifyError === null)).toBe(true);
    const thinOnes = rx.received.filter((r) => r.path === "/thin");
    const byEvent = (e: string) => thinOnes.filter((r) => r.body.type === e);
    expect(byEvent("request.received")).toHaveLength(1);
    const answered = byEvent("request.answered");
    expect(answered).toHaveLength(4);
    expect(new Set(answered.map((r) => r.id)).size).toBe(1);
    // Thin by default: the event, the request and its status; never the answer.
    expect(answered[3].body).toEqual({ type: "request.answered", timestamp: expect.any(String), data: { request_id: id, status: "answered" } });
    expect(JSON.stringify(thinOnes)).not.toContain("secret stuff");
    // Opted in: the answer itself.
    const fullOnes = rx.received.filter((r) => r.path === "/full");
    expect(fullOnes).toHaveLength(1);
    expect(fullOnes[0].body.data).toEqual({ request_id: id, status: "answered", response: { content_type: "application/json", body: { answer: { q: "secret stuff" } } } });

    // The delivery log, then a redelivery: the same webhook-id again.
    const user = (await net.r("/v1/auth/token", { body: { email: "user@example.com", password: PASSWORD } })).body.access_token as string;
    const log = await net.r(`/v1/webhooks/${thin.id}/deliveries`, { token: user });
    expect(log.status).toBe(200);
    const answeredLog = log.body.items.find((d: any) => d.event === "request.answered");
    expect(answeredLog).toMatchObject({ id: answered[0].id, status: "delivered", attempts: 4, last_status: 200, request_id: id });
    expect(log.body.items.map((d: any) => d.event).sort()).toEqual(["request.answered", "request.received"]);
    const again = await net.r(`/v1/webhooks/${thin.id}/deliveries/${answeredLog.id}/redeliver`, { token: user, body: {} });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    await run();
    expect(rx.received.filter((r) => r.id === answered[0].id)).toHaveLength(5);
    // The endpoint as shown never carries its secret.
    const shown = await net.r(`/v1/webhooks/${thin.id}`, { token: user });
    expect(shown.body).toMatchObject({ id: thin.id, status: "active", disabled_reason: null });
    expect(JSON.stringify(shown.body)).not.toContain(thin.secret);
    expect(JSON.stringify((await net.r("/v1/webhooks", { token: user })).body)).not.toContain("whsec_");
  });

  it("a cancel on the request network is delivered as request.cancelled, written with the cancel", async () => {
    const { net, clock, call, token } = await replicaOnly();
    const rx = await startReceiver(clock);
    const e = await register(call, token, { url: rx.url("/c"), events: ["request.cancelled", "request.answered"] });
    rx.secrets.set("/c", e.secret);
    const id = await submitAndCancel(call, token);
    await call(`/v1/requests/${id}/cancel`, { token, body: {} }); // twice changes nothing
    await runWebhookDeliveries(net.services);
    expect(rx.received.map((r) => [r.body.type, r.body.data, r.verifyError])).toEqual([["request.cancelled", { request_id: id, status: "cancelled" }, null]]);
  });

  it("410 disables the endpoint, announced by endpoint.disabled to the owner's other endpoints and shown by GET", async () => {
    const { net, clock, call, token } = await replicaOnly();
    const rx = await startReceiver(clock, (r) => ({ status: r.path === "/gone" ? 410 : 200 }));
    const gone = await register(call, token, { url: rx.url("/gone"), events: ["request.cancelled"] });
    const watcher = await register(call, token, { url: rx.url("/watch"), events: ["endpoint.disabled"] });
    rx.secrets.set("/gone", gone.secret);
    rx.secrets.set("/watch", watcher.secret);
    await submitAndCancel(call, token);
    expect(await runWebhookDeliveries(net.services)).toMatchObject({ failed: 1, disabled: 1 });
    const shown = await call(`/v1/webhooks/${gone.id}`, { token });
    expect(shown.body).toMatchObject({ status: "disabled", disabled_reason: "the receiver answered 410 Gone" });
    await runWebhookDeliveries(net.services);
    const told = rx.received.filter((r) => r.path === "/watch");
    expect(told.map((r) => [r.body.type, r.body.data.endpoint_id, r.verifyError])).toEqual([["endpoint.disabled", gone.id, null]]);
    // Nothing more reaches a disabled endpoint, and it cannot be redelivered to.
    await submitAndCancel(call, token);
    clock.advance(MIN);
    await runWebhookDeliveries(net.services);
    expect(rx.received.filter((r) => r.path === "/gone")).toHaveLength(1);
    const d = (await deliveriesOf(net, gone.id))[0];
    expect((await call(`/v1/webhooks/${gone.id}/deliveries/${d.id}/redeliver`, { token, body: {} })).body.code).toBe("conflict");
    // Events while it was disabled were not queued for it; re-enabled (the receiver fixed), the refused message can be redelivered.
    expect(await deliveriesOf(net, gone.id)).toHaveLength(1);
    const back = await call(`/v1/webhooks/${gone.id}`, { token, method: "PATCH", body: { enabled: true, url: rx.url("/back") } });
    expect(back.body).toMatchObject({ status: "active", disabled_reason: null, url: rx.url("/back") });
    rx.secrets.set("/back", gone.secret);
    expect(await runWebhookDeliveries(net.services)).toEqual({});
    expect((await call(`/v1/webhooks/${gone.id}/deliveries/${d.id}/redeliver`, { token, body: {} })).status).toBe(202);
    expect(await runWebhookDeliveries(net.services)).toMatchObject({ delivered: 1 });
    expect(rx.received.filter((r) => r.path === "/back").map((r) => [r.body.type, r.verifyError])).toEqual([["request.cancelled", null]]);
    expect((await call(`/v1/webhooks/${gone.id}`, { token, method: "PATCH", body: { enabled: false } })).body.code).toBe("validation_failed");
  });

  it("persistent failure: after the whole schedule (about three days) the message fails and the endpoint is disabled", async () => {
    const { net, clock, call, token } = await replicaOnly();
    const rx = await startReceiver(clock, () => ({ status: 500 }));
    const e = await register(call, token, { url: rx.url("/down"), events: ["request.cancelled"] });
    rx.secrets.set("/down", e.secret);
    const start = clock.now().getTime();
    await submitAndCancel(call, token);
    for (let i = 0; i < 100; i++) {
      await runWebhookDeliveries(net.services);
      clock.advance(60 * MIN);
    }
    expect(rx.received).toHaveLength(MAX_ATTEMPTS);
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(1);
    const [d] = await deliveriesOf(net, e.id);
    expect(d).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, lastStatus: 500 });
    const days = (Date.parse(d.updatedAt) - start) / 86_400_000;
    expect(days).toBeGreaterThan(2.5);
    expect(days).toBeLessThan(3.5);
    const [row] = await net.services.db.orm.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, e.id)).all();
    expect(row).toMatchObject({ status: "disabled", disabledReason: expect.stringMatching(/^a message failed 11 times over about three days/) });
  });

  it("secret rotation overlaps: both secrets sign until the overlap ends, then only the new one", async () => {
    const { net, clock, call, token } = await replicaOnly();
    const rx = await startReceiver(clock);
    const e = await register(call, token, { url: rx.url("/r"), events: ["request.cancelled"] });
    const rotated = await call(`/v1/webhooks/${e.id}/rotate-secret`, { token, body: { overlap_seconds: 3600 } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(e.secret);
    expect(rotated.body.previous_secret_expires_at).toBe(new Date(clock.now().getTime() + 3_600_000).toISOString());
    expect(JSON.stringify((await call(`/v1/webhooks/${e.id}`, { token })).body)).not.toContain("whsec_");
    // During the overlap a receiver holding either secret verifies the message.
    rx.secrets.set("/r", [e.secret, rotated.body.secret]);
    await submitAndCancel(call, token);
    await runWebhookDeliveries(net.services);
    expect(rx.received.map((r) => r.verifyError)).toEqual([null]);
    // After it, the old secret no longer signs.
    clock.advance(3_601_000);
    const me = await seedSession(net.services, { role: "user" });
    const later = await register(call, me.tokens.access_token, { url: rx.url("/later"), events: ["request.cancelled"] });
    const rotatedLater = await call(`/v1/webhooks/${later.id}/rotate-secret`, { token: me.tokens.access_token, body: {} });
    expect(rotatedLater.body.previous_secret_expires_at).toBe(new Date(clock.now().getTime() + 86_400_000).toISOString());
    const again = await call(`/v1/webhooks/${e.id}/deliveries`, { token: me.tokens.access_token });
    expect(again.status).toBe(404); // another user's endpoint
    rx.secrets.set("/r", e.secret);
    await net.services.db.orm.update(webhookDeliveries).set({ status: "pending", nextAttemptAt: clock.now().toISOString() }).where(eq(webhookDeliveries.endpointId, e.id));
    await runWebhookDeliveries(net.services);
    expect(rx.received[1].verifyError).toMatch(/No matching signature found/);
    rx.secrets.set("/r", rotated.body.secret);
    await net.services.db.orm.update(webhookDeliveries).set({ status: "pending", nextAttemptAt: clock.now().toISOString() }).where(eq(webhookDeliveries.endpointId, e.id));
    await runWebhookDeliveries(net.services);
    expect(rx.received[2].verifyError).toBeNull();
  });

  it("a disabled account's endpoints receive nothing; finished messages leave the log after 30 days", async () => {
    const { net, clock, me, call, token } = await replicaOnly();
    const rx = await startReceiver(clock);
    const e = await register(call, token, { url: rx.url("/d"), events: ["request.cancelled"] });
    await submitAndCancel(call, token);
    await net.services.db.orm.update(users).set({ status: "disabled" }).where(eq(users.id, me.user.id));
    expect(await runWebhookDeliveries(net.services)).toEqual({});
    await net.services.db.orm.update(users).set({ status: "active" }).where(eq(users.id, me.user.id));
    expect(await runWebhookDeliveries(net.services)).toMatchObject({ delivered: 1 });
    clock.advance(29 * 86_400_000);
    expect(await pruneDeliveries(net.services)).toEqual({ deleted_webhook_deliveries: 0 });
    clock.advance(2 * 86_400_000);
    expect(await pruneDeliveries(net.services)).toEqual({ deleted_webhook_deliveries: 1 });
    expect(await deliveriesOf(net, e.id)).toEqual([]);
  });

  it("a slow receiver times out; Retry-After is honoured", async () => {
    const { net, clock, call, token } = await replicaOnly({ ...ALLOW, AIRLOCK_WEBHOOKS_TIMEOUT_MS: "300" });
    const rx = await startReceiver(clock, (r) => (r.path === "/slow" ? { status: 200, delayMs: 2_000 } : { status: 503, headers: { "retry-after": "3600" } }));
    const slow = await register(call, token, { url: rx.url("/slow"), events: ["request.cancelled"] });
    const busy = await register(call, token, { url: rx.url("/busy"), events: ["request.cancelled"] });
    await submitAndCancel(call, token);
    const now = clock.now().getTime();
    expect(await runWebhookDeliveries(net.services)).toMatchObject({ retrying: 2 });
    const [s] = await deliveriesOf(net, slow.id);
    expect(s).toMatchObject({ status: "pending", attempts: 1, lastError: "timed out after 300 ms", lastStatus: null });
    const [b] = await deliveriesOf(net, busy.id);
    expect(b).toMatchObject({ status: "pending", attempts: 1, lastStatus: 503 });
    expect(Date.parse(b.nextAttemptAt as string) - now).toBe(3_600_000);
  });

  it("without AIRLOCK_WEBHOOKS_ALLOW_PRIVATE a loopback target is refused on Node, and nothing is sent", async () => {
    const { net, clock, call, token } = await replicaOnly({});
    const rx = await startReceiver(clock);
    const e = await register(call, token, { url: rx.url("/x"), events: ["request.cancelled"] });
    const local = await register(call, token, { url: "http://localhost:9/y", events: ["request.cancelled"] });
    await submitAndCancel(call, token);
    await runWebhookDeliveries(net.services);
    expect(rx.received).toHaveLength(0);
    expect((await deliveriesOf(net, e.id))[0].lastError).toMatch(/^refused: 127\.0\.0\.1 is a private, loopback or link-local address/);
    expect((await deliveriesOf(net, local.id))[0].lastError).toMatch(/^refused: localhost/);
  });

  it("registration: validation, the limit, owners only, API keys with the webhooks scopes", async () => {
    const { net, call, token } = await replicaOnly();
    expect((await call("/v1/webhooks", { token, body: { url: "ftp://example.com", events: ["request.answered"] } })).body.code).toBe("validation_failed");
    expect((await call("/v1/webhooks", { token, body: { url: "https://example.com", events: [] } })).body.code).toBe("validation_failed");
    expect((await call("/v1/webhooks", { token, body: { url: "https://example.com", events: ["request.nope"] } })).body.code).toBe("validation_failed");
    expect((await call("/v1/webhooks", { token, body: { url: "https://example.com", events: ["request.answered"], secret: "mine" } })).body.code).toBe("validation_failed");
    expect((await call("/v1/webhooks", { token, body: { url: "https://u:p@example.com", events: ["request.answered"] } })).body.code).toBe("validation_failed");
    const mine = await register(call, token, { url: "https://example.com/a", events: ["request.answered"] });
    expect(redactString(`the secret ${mine.secret}`)).toBe("the secret whsec_[redacted]");
    const other = await seedSession(net.services, { role: "user" });
    expect((await call(`/v1/webhooks/${mine.id}`, { token: other.tokens.access_token })).status).toBe(404);
    expect((await call(`/v1/webhooks/${mine.id}`, { token: other.tokens.access_token, method: "DELETE" })).status).toBe(404);
    expect((await call("/v1/webhooks", { token: other.tokens.access_token })).body.items).toEqual([]);
    for (let i = 1; i < 10; i++) await register(call, token, { url: `https://example.com/${i}`, events: ["request.answered"] });
    expect((await call("/v1/webhooks", { token, body: { url: "https://example.com/11", events: ["request.answered"] } })).status).toBe(409);
    const reader = await seedApiKey(net.services, other.user.id, { scopes: ["webhooks:read"] });
    const writer = await seedApiKey(net.services, other.user.id, { scopes: ["webhooks:write"] });
    expect((await call("/v1/webhooks", { headers: { authorization: `Bearer ${reader.key}` }, body: { url: "https://example.com", events: ["request.answered"] } })).status).toBe(
      403,
    );
    expect((await call("/v1/webhooks", { headers: { authorization: `Bearer ${writer.key}` }, body: { url: "https://example.com", events: ["request.answered"] } })).status).toBe(
      201,
    );
    expect((await call("/v1/webhooks", { headers: { authorization: `Bearer ${reader.key}` } })).body.items).toHaveLength(1);
    expect((await call(`/v1/webhooks/${mine.id}`, { token, method: "DELETE" })).status).toBe(200);
    expect((await call(`/v1/webhooks/${mine.id}`, { token })).status).toBe(404);
  });

  it("signatures are what the standardwebhooks package computes; the schedule, Retry-After and the address guard", async () => {
    const secret = newSecret();
    const ts = 1_700_000_000;
    const body = '{"type":"request.answered"}';
    expect(await sign(secret, "msg_1", ts, body)).toBe(new Webhook(secret).sign("msg_1", new Date(ts * 1000), body));
    expect(retryDelayMs(1, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(2, () => 0)).toBe(270_000);
    expect(retryDelayMs(2, () => 1)).toBe(330_000);
    const now = new Date("2026-01-01T00:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:10:00 GMT", now)).toBe(600_000);
    expect(retryAfterMs("9999999", now)).toBe(24 * 3_600_000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "0:0:0:0:0:0:0:1",
      "[::1]",
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111"]) expect(isPrivateAddress(a), a).toBe(false);
    // URLs spell an IPv4-mapped address in hex: http://[::ffff:127.0.0.1]/ has the host [::ffff:7f00:1].
    expect(isPrivateAddress(new URL("http://[::ffff:127.0.0.1]/").hostname)).toBe(true);
  });
});
