// The principal cache in workerd with real D1: the isolate that revokes refuses on its next request;
// another isolate (its own services and cache over the same D1) refuses within PRINCIPAL_CACHE_TTL_MS.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { d1Database } from "../../src/deps/db/d1.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { PRINCIPAL_CACHE_TTL_MS, principalCache } from "../../src/identity/principal-cache.ts";
import { startSession } from "../../src/identity/sessions.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import type { Services } from "../../src/services.ts";
import { seedApiKey, seedUser } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";

/** An isolate's worth of services: its own D1 wrapper (so its own principal cache), on a shared clock. */
async function isolate(clock: ManualClock) {
  const base = (await servicesFor(env as unknown as WorkerEnv)).services;
  const s: Services = { ...base, db: d1Database((env as unknown as WorkerEnv).DB), clock, logger: new MemoryLogger() };
  return { s, app: createApp(s) };
}

describe("principal cache on workerd (D1)", () => {
  it("the isolate that revokes a key refuses it on the next request; another isolate within the bound", async () => {
    const clock = new ManualClock(new Date());
    const [a, b] = [await isolate(clock), await isolate(clock)];
    expect(principalCache(a.s)).not.toBe(principalCache(b.s));
    const user = await seedUser(a.s);
    const { id: keyId, key } = await seedApiKey(a.s, user.id, { scopes: ["requests:read"] });
    const req = await seedRequest(a.s, user.id, { answered: true });
    const path = `/v1/requests/${req.id}/response`;
    const read = (app: typeof a.app) => app.request(path, { headers: { "x-api-key": key } }, env);
    for (const n of [a, b]) {
      const res = await read(n.app);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { body: unknown }).body).toEqual({ a: "fixture" });
    }
    const session = await startSession(b.s, user);
    const revoked = await b.app.request(`/v1/api-keys/${keyId}`, { method: "DELETE", headers: { authorization: `Bearer ${session.access_token}` } }, env);
    expect(revoked.status).toBe(200);
    const refused = await read(b.app);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "invalid_token", detail: "this API key has been revoked" });
    // Isolate A read the key before the revocation: it may use that for the stated bound, no longer.
    clock.advance(PRINCIPAL_CACHE_TTL_MS - 1);
    expect((await read(a.app)).status).toBe(200);
    clock.advance(1);
    const later = await read(a.app);
    expect(later.status).toBe(401);
    expect(await later.json()).toMatchObject({ code: "invalid_token", detail: "this API key has been revoked" });
  });

  it("an ended session is refused on the isolate's next request", async () => {
    const clock = new ManualClock(new Date());
    const a = await isolate(clock);
    const user = await seedUser(a.s);
    const session = await startSession(a.s, user);
    const me = () => a.app.request("/v1/me", { headers: { authorization: `Bearer ${session.access_token}` } }, env);
    expect((await me()).status).toBe(200);
    expect((await me()).status).toBe(200);
    expect((await a.app.request("/v1/auth/logout", { method: "POST", headers: { authorization: `Bearer ${session.access_token}` } }, env)).status).toBe(204);
    const res = await me();
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "invalid_token", detail: "this session has ended; log in again" });
  });
});
