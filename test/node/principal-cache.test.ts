// The principal cache never buys speed with stale access: a change made in a process is refused on
// that process's very next request (an API call, or a batch import); another process on the same
// libSQL file refuses within PRINCIPAL_CACHE_TTL_MS (moved with a ManualClock, never slept).
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { PRINCIPAL_CACHE_TTL_MS, PrincipalCache, principalCache } from "../../src/identity/principal-cache.ts";
import { startSession } from "../../src/identity/sessions.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { seedApiKey, seedSession, seedUser } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";
import { linkedNetworks, type Json } from "../helpers/link-pair.ts";
import type { Services } from "../../src/services.ts";

type App = ReturnType<typeof createApp>;
const get = (app: App, path: string, headers: Record<string, string>) => app.request(path, { headers }, {});
const del = (app: App, path: string, auth: string) => app.request(path, { method: "DELETE", headers: { authorization: auth } }, {});

async function problemOf(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as { code: string; detail: string };
}

/** Two processes' worth of services (each with its own principal cache) over one libSQL file, on one clock. */
async function twoProcesses() {
  const clock = new ManualClock(new Date());
  const a = await nodeServices({ NETWORK_ROLE: "request" }, { clock });
  const b = await nodeServices({ NETWORK_ROLE: "request", DATABASE_URL: a.config.databaseUrl }, { clock });
  expect(principalCache(a)).not.toBe(principalCache(b));
  return { clock, a: { s: a as Services, app: createApp(a) }, b: { s: b as Services, app: createApp(b) } };
}

describe("principal cache: the process that saw the change", () => {
  it("a revoked API key is refused on the next request, after it was served from the cache", async () => {
    const { a } = await twoProcesses();
    const user = await seedUser(a.s);
    const { id: keyId, key } = await seedApiKey(a.s, user.id, { scopes: ["requests:read"] });
    const req = await seedRequest(a.s, user.id, { answered: true });
    const session = await startSession(a.s, user);
    for (let i = 0; i < 3; i++) expect((await get(a.app, `/v1/requests/${req.id}/response`, { "x-api-key": key })).status).toBe(200);
    expect(principalCache(a.s).size).toBeGreaterThan(0);
    expect((await del(a.app, `/v1/api-keys/${keyId}`, `Bearer ${session.access_token}`)).status).toBe(200);
    const res = await get(a.app, `/v1/requests/${req.id}/response`, { "x-api-key": key });
    expect(res.status).toBe(401);
    expect(await problemOf(res)).toMatchObject({ code: "invalid_token", detail: "this API key has been revoked" });
  });

  it("an ended session is refused on the next request", async () => {
    const { a } = await twoProcesses();
    const { auth } = await seedSession(a.s);
    expect((await get(a.app, "/v1/me", { authorization: auth })).status).toBe(200);
    expect((await get(a.app, "/v1/me", { authorization: auth })).status).toBe(200);
    expect((await a.app.request("/v1/auth/logout", { method: "POST", headers: { authorization: auth } }, {})).status).toBe(204);
    const res = await get(a.app, "/v1/me", { authorization: auth });
    expect(res.status).toBe(401);
    expect(await problemOf(res)).toMatchObject({ code: "invalid_token", detail: "this session has ended; log in again" });
  });

  it("a user disabled on the master is refused on the replica's next request once the batch is imported there", async () => {
    const link = await linkedNetworks();
    const admin = await seedSession(link.master.services, { role: "admin" });
    const login = await link.replica.app.request(
      "/v1/auth/token",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "poison@example.com", password: "a long enough password" }) },
      {},
    );
    const session = `Bearer ${((await login.json()) as Json).access_token}`;
    const me = (await (await get(link.replica.app, "/v1/me", { authorization: session })).json()) as Json;
    const created = await link.replica.app.request(
      "/v1/api-keys",
      { method: "POST", headers: { authorization: session, "content-type": "application/json" }, body: JSON.stringify({ name: "k", scopes: ["requests:read"] }) },
      {},
    );
    expect(created.status).toBe(201);
    const key = ((await created.json()) as Json).key as string;
    // Both credentials are in the replica's principal cache now.
    for (let i = 0; i < 2; i++) {
      expect((await get(link.replica.app, "/v1/me", { "x-api-key": key })).status).toBe(200);
      expect((await get(link.replica.app, "/v1/me", { authorization: session })).status).toBe(200);
    }
    expect((await del(link.master.app, `/v1/admin/users/${me.id}`, admin.auth)).status).toBe(200);
    // Not imported yet: the replica has not seen the change (the link, not the cache, is the delay here).
    expect((await get(link.replica.app, "/v1/me", { "x-api-key": key })).status).toBe(200);
    await link.toReplica();
    const byKey = await get(link.replica.app, "/v1/me", { "x-api-key": key });
    expect(byKey.status).toBe(401);
    expect(await problemOf(byKey)).toMatchObject({ code: "invalid_token", detail: "the key's owner is disabled" });
    const bySession = await get(link.replica.app, "/v1/me", { authorization: session });
    expect(bySession.status).toBe(401);
    expect((await problemOf(bySession)).code).toBe("invalid_token");
  });
});

describe("principal cache: another process on the same database", () => {
  it(`refuses a key revoked elsewhere within ${PRINCIPAL_CACHE_TTL_MS} ms`, async () => {
    const { clock, a, b } = await twoProcesses();
    const user = await seedUser(a.s);
    const { id: keyId, key } = await seedApiKey(a.s, user.id, { scopes: ["requests:read"] });
    const req = await seedRequest(a.s, user.id, { answered: true });
    const path = `/v1/requests/${req.id}/response`;
    expect((await get(a.app, path, { "x-api-key": key })).status).toBe(200);
    const session = await startSession(b.s, user);
    expect((await del(b.app, `/v1/api-keys/${keyId}`, `Bearer ${session.access_token}`)).status).toBe(200);
    expect((await get(b.app, path, { "x-api-key": key })).status).toBe(401);
    // Process A still holds what it read: the stated bound, not a bug.
    clock.advance(PRINCIPAL_CACHE_TTL_MS - 1);
    expect((await get(a.app, path, { "x-api-key": key })).status).toBe(200);
    clock.advance(1);
    const res = await get(a.app, path, { "x-api-key": key });
    expect(res.status).toBe(401);
    expect(await problemOf(res)).toMatchObject({ code: "invalid_token", detail: "this API key has been revoked" });
  });

  it(`refuses a session ended elsewhere within ${PRINCIPAL_CACHE_TTL_MS} ms`, async () => {
    const { clock, a, b } = await twoProcesses();
    const { auth } = await seedSession(a.s);
    expect((await get(a.app, "/v1/me", { authorization: auth })).status).toBe(200);
    expect((await b.app.request("/v1/auth/logout", { method: "POST", headers: { authorization: auth } }, {})).status).toBe(204);
    clock.advance(PRINCIPAL_CACHE_TTL_MS);
    const res = await get(a.app, "/v1/me", { authorization: auth });
    expect(res.status).toBe(401);
    expect(await problemOf(res)).toMatchObject({ code: "invalid_token", detail: "this session has ended; log in again" });
  });
});

describe("PrincipalCache", () => {
  it("does not store what a lookup read before the cache was emptied", () => {
    const c = new PrincipalCache(10);
    const before = c.generation;
    c.clear(); // a change was committed while the lookup was reading
    c.set("k", "old", 0, before);
    expect(c.get("k", 0)).toBeUndefined();
    c.set("k", "new", 0, c.generation);
    expect(c.get("k", 0)).toBe("new");
  });

  it("expires entries by the clock and keeps at most its bound, dropping the least recently used", () => {
    const c = new PrincipalCache(2);
    c.set("a", 1, 0, c.generation);
    c.set("b", 2, 0, c.generation);
    expect(c.get("a", 1)).toBe(1); // a is now the most recently used
    c.set("c", 3, 1, c.generation);
    expect(c.size).toBe(2);
    expect(c.get("b", 1)).toBeUndefined();
    expect(c.get("a", PRINCIPAL_CACHE_TTL_MS - 1)).toBe(1);
    expect(c.get("a", PRINCIPAL_CACHE_TTL_MS)).toBeUndefined();
  });
});
