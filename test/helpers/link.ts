// Two networks with a user, an operator and an admin, and ways to put what a bug (or an older or
// newer release) would write straight into a network's outbox, bypassing the checks at the door.
import { expect } from "vitest";
import { outbox } from "../../schema/index.ts";
import { nodeApp } from "./node-app.ts";
import { COURIER, carry, type Net } from "./transfer.ts";
import { seedSession } from "./identity-fixtures.ts";
import { sendJson, type JsonInit } from "./http.ts";

export const PASSWORD = "a long enough password";

/** JSON calls into a network's app. */
export const caller = (n: Net) => (path: string, init?: JsonInit) => sendJson((p, i) => n.app.request(p, i, {}), path, init);

export async function linkedNetworks(env: Record<string, string> = {}) {
  const master: Net = await nodeApp({ NETWORK_ROLE: "response", ...env });
  const replica: Net = await nodeApp({ NETWORK_ROLE: "request", ...env });
  const m = caller(master);
  const r = caller(replica);
  const admin = await seedSession(master.services, { role: "admin" });
  for (const [email, role] of [
    ["user@example.com", "user"],
    ["op@example.com", "operator"],
    ["admin2@example.com", "admin"],
  ]) {
    expect((await m("/v1/admin/users", { token: admin.tokens.access_token, body: { email, name: role, role, password: PASSWORD } })).status).toBe(201);
  }
  await carry(master, replica);
  const login = async (call: typeof m, email: string) => (await call("/v1/auth/token", { body: { email, password: PASSWORD } })).body.access_token as string;
  const tokens = {
    user: await login(r, "user@example.com"),
    op: await login(m, "op@example.com"),
    masterAdmin: admin.tokens.access_token,
    replicaAdmin: await login(r, "admin2@example.com"),
  };
  return { master, replica, m, r, tokens };
}

/** Writes an outbox row as a buggy or foreign release would: no validation. */
export async function rawOutbox(n: Net, kind: string, entityId: string, version: number, payload: unknown) {
  await n.services.db.orm.insert(outbox).values({ kind, entityId, version, payload: JSON.stringify(payload), createdAt: n.services.clock.now().toISOString() });
}

/** A request submitted on the replica, carried, answered on the master, carried back and read. */
export async function roundTrip(net: Awaited<ReturnType<typeof linkedNetworks>>, body: unknown = { q: "canary" }) {
  const { master, replica, m, r, tokens } = net;
  const sub = await r("/v1/requests", { token: tokens.user, body: { topic: "canary", body } });
  expect(sub.status, JSON.stringify(sub.body)).toBe(202);
  const there = await carry(replica, master);
  expect(
    there.map((o) => o.outcome).every((o) => o === "applied" || o === "replay"),
    JSON.stringify(there),
  ).toBe(true);
  const ans = await m(`/v1/requests/${sub.body.id}/response`, { token: tokens.op, body: { body: { answer: body } } });
  expect(ans.status, JSON.stringify(ans.body)).toBe(201);
  const back = await carry(master, replica);
  expect(
    back.map((o) => o.outcome).every((o) => o === "applied" || o === "replay"),
    JSON.stringify(back),
  ).toBe(true);
  const read = await r(`/v1/requests/${sub.body.id}/response`, { token: tokens.user });
  expect(read.status).toBe(200);
  expect(read.body.body).toEqual({ answer: body });
  return sub.body.id as string;
}

export const statusOf = async (n: Net) => (await (await n.app.request("/v1/transfer/status", { headers: COURIER }, {})).json()) as any;
