// Submitting requests: the request, its first event and outbox record; Idempotency-Key; validation;
// and what API key scopes allow.
// On Node (libSQL) and inside workerd (D1), the response cache on real Redis behind the
// Upstash-compatible endpoint; the entry files are test/node/requests-submit.test.ts and test/workers/requests-submit.test.ts.
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { idempotencyKeys, outbox, requests } from "../../schema/index.ts";
import { seedApiKey } from "../helpers/identity-fixtures.ts";
import { beginIdempotent, fingerprintOf } from "../../src/requests/idempotency.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

export function requestsSubmitSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);

  describe(`requests and responses (${h.runtime}, upstash cache)`, () => {
    it("submit → 202 with Location; the request, its first event and its outbox record exist together", async () => {
      const { s, call, session, submit } = await setup();
      const me = await session();
      const { res, json } = await submit(me.auth, { topic: "weather", body: { q: "rain?", n: [1, 2] }, priority: 4 });
      expect(res.status).toBe(202);
      expect(res.headers.get("location")).toBe(`/v1/requests/${json.id}`);
      expect(res.headers.get("idempotency-replayed")).toBeNull();
      expect(json).toMatchObject({
        id: expect.stringMatching(/^req_/),
        user_id: me.user.id,
        topic: "weather",
        priority: 4,
        status: "submitted",
        body: { q: "rain?", n: [1, 2] },
        api_key_id: null,
        cancelled_at: null,
      });
      expect(json.timeline).toEqual([{ status: "submitted", at: json.created_at, network: s.config.networkId, batch_sequence: null, detail: null }]);
      expect(json.links).toEqual({ self: `/v1/requests/${json.id}`, response: `/v1/requests/${json.id}/response` });

      const got = await call(`/v1/requests/${json.id}`, { auth: me.auth });
      expect(got.status).toBe(200);
      expect(await got.json()).toMatchObject({ id: json.id, status: "submitted", timeline: json.timeline });
      const out = await s.db.orm
        .select()
        .from(outbox)
        .where(and(eq(outbox.entityId, json.id), eq(outbox.kind, "request")))
        .all();
      expect(out).toHaveLength(1);
      expect(JSON.parse(out[0].payload)).toEqual({
        id: json.id,
        user_id: me.user.id,
        api_key_id: null,
        topic: "weather",
        body: { q: "rain?", n: [1, 2] },
        priority: 4,
        created_at: json.created_at,
        cancelled_at: null,
        version: 1,
      });
    });

    it("Idempotency-Key: same key and body → the original with Idempotency-Replayed; different body → 422; in flight → 409; per user", async () => {
      const { s, call, session, submit } = await setup();
      const me = await session();
      const other = await session();
      const key = `"${crypto.randomUUID()}"`; // an sf-string, as the draft writes it
      const first = await submit(me.auth, { topic: "t", body: { a: 1, b: [true, null] } }, { "Idempotency-Key": key });
      expect(first.res.status).toBe(202);
      // Same body with keys in another order: the same request.
      const again = await submit(me.auth, { body: { b: [true, null], a: 1 }, topic: "t" }, { "Idempotency-Key": key });
      expect(again.res.status).toBe(202);
      expect(again.res.headers.get("idempotency-replayed")).toBe("true");
      expect(again.res.headers.get("location")).toBe(`/v1/requests/${first.json.id}`);
      expect(again.json).toEqual(first.json);
      expect(await s.db.orm.select().from(requests).where(eq(requests.userId, me.user.id)).all()).toHaveLength(1);

      const changed = await submit(me.auth, { topic: "t", body: { a: 2 } }, { "Idempotency-Key": key });
      await problem(changed.res, "idempotency_key_reused", "/v1/requests");

      // Another user's identical key is their own.
      const theirs = await submit(other.auth, { topic: "t", body: { a: 1, b: [true, null] } }, { "Idempotency-Key": key });
      expect(theirs.res.status).toBe(202);
      expect(theirs.res.headers.get("idempotency-replayed")).toBeNull();
      expect(theirs.json.id).not.toBe(first.json.id);

      // A request with this key still running (recorded in flight, not finished).
      const busy = crypto.randomUUID();
      const payload = { topic: "t", body: { slow: true }, priority: 0 };
      expect(await beginIdempotent(s, me.user.id, busy, await fingerprintOf(payload))).toEqual({ kind: "new" });
      const inFlight = await submit(me.auth, { topic: "t", body: { slow: true } }, { "Idempotency-Key": busy });
      await problem(inFlight.res, "idempotency_in_flight", "/v1/requests");
      expect(inFlight.res.headers.get("retry-after")).toBe("1");
      // …and with a different body while in flight: still the misuse (422).
      await problem((await submit(me.auth, { topic: "t", body: { other: 1 } }, { "Idempotency-Key": busy })).res, "idempotency_key_reused", "/v1/requests");

      // Keys expire after 24 h: an expired record is taken over by a new request.
      await s.db.orm
        .update(idempotencyKeys)
        .set({ expiresAt: "2000-01-01T00:00:00.000Z" })
        .where(and(eq(idempotencyKeys.userId, me.user.id), eq(idempotencyKeys.key, key.slice(1, -1))));
      const fresh = await submit(me.auth, { topic: "t", body: { a: 2 } }, { "Idempotency-Key": key });
      expect(fresh.res.status).toBe(202);
      expect(fresh.json.id).not.toBe(first.json.id);

      const bad = await call("/v1/requests", { method: "POST", auth: me.auth, body: { topic: "t", body: 1 }, headers: { "Idempotency-Key": "has space" } });
      const b = await problem(bad, "validation_failed", "/v1/requests");
      expect(b.errors).toEqual([{ parameter: "Idempotency-Key", detail: expect.any(String) }]);
    });

    it("validation: missing fields 400 with pointers, a body over AIRLOCK_MAX_REQUEST_BODY_BYTES 413, bad priority 400", async () => {
      const { call, session } = await setup("request", { AIRLOCK_MAX_REQUEST_BODY_BYTES: "100" });
      const me = await session();
      const missing = await problem(await call("/v1/requests", { method: "POST", auth: me.auth, body: { topic: "" } }), "validation_failed", "/v1/requests");
      expect((missing.errors as Json[]).map((e) => e.pointer).sort()).toEqual(["/body", "/topic"]);
      const big = await problem(await call("/v1/requests", { method: "POST", auth: me.auth, body: { topic: "t", body: "x".repeat(200) } }), "payload_too_large", "/v1/requests");
      expect(big.errors).toEqual([{ pointer: "/body", detail: "at most 100 bytes as JSON" }]);
      await problem(await call("/v1/requests", { method: "POST", auth: me.auth, body: { topic: "t", body: null, priority: 10 } }), "validation_failed", "/v1/requests");
      await problem(await call("/v1/requests", { method: "POST", auth: me.auth, body: { topic: "t", body: null, extra: 1 } }), "validation_failed", "/v1/requests");
      // null is a JSON value like any other.
      expect((await call("/v1/requests", { method: "POST", auth: me.auth, body: { topic: "t", body: null } })).status).toBe(202);
    });

    it("API key scopes: requests:read reads but cannot submit; requests:write submits but cannot read; the key is recorded", async () => {
      const { s, call, session, submit } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      const reader = await seedApiKey(s, me.user.id, { scopes: ["requests:read"] });
      const writer = await seedApiKey(s, me.user.id, { scopes: ["requests:write"] });
      expect((await call(`/v1/requests/${json.id}`, { headers: { "x-api-key": reader.key } })).status).toBe(200);
      expect((await call("/v1/requests", { headers: { "x-api-key": reader.key } })).status).toBe(200);
      await problem(
        await call("/v1/requests", { method: "POST", body: { topic: "t", body: 1 }, headers: { "x-api-key": reader.key } }),
        "forbidden",
        "/v1/requests",
        "this API key lacks the scope requests:write",
      );
      const made = await call("/v1/requests", { method: "POST", body: { topic: "t", body: 1 }, headers: { authorization: `Bearer ${writer.key}` } });
      expect(made.status).toBe(202);
      expect(((await made.json()) as Json).api_key_id).toBe(writer.id);
      await problem(
        await call(`/v1/requests/${json.id}`, { headers: { "x-api-key": writer.key } }),
        "forbidden",
        `/v1/requests/${json.id}`,
        "this API key lacks the scope requests:read",
      );
    });
  });
}
