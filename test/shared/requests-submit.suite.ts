// Submitting requests: the request, its first event and outbox record; Idempotency-Key; validation;
// and what API key scopes allow.
// On Node (libSQL) and inside workerd (D1), the response cache on real Redis behind the
// Upstash-compatible endpoint; the entry files are test/node/requests-submit.test.ts and test/workers/requests-submit.test.ts.
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { idempotencyKeys, outbox, requests } from "../../schema/index.ts";
import { seedApiKey } from "../helpers/identity-fixtures.ts";
import { IDEMPOTENCY_TTL_MS, IN_FLIGHT_STALE_MS, fingerprintOf, once } from "../../src/requests/idempotency.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

/** An idempotency record in flight since `since`. */
const inFlightRecord = (userId: string, key: string, fingerprint: string, since: Date) => ({
  userId,
  key,
  fingerprint,
  state: "in_flight" as const,
  statusCode: null,
  responseBody: null,
  createdAt: since.toISOString(),
  expiresAt: new Date(since.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
});

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

      // A request with this key still running: recorded in flight, as the former two-step scheme did
      // (an older version may still be serving during a deployment).
      const busy = crypto.randomUUID();
      const payload = { topic: "t", body: { slow: true }, priority: 0 };
      await s.db.orm.insert(idempotencyKeys).values(inFlightRecord(me.user.id, busy, await fingerprintOf(payload), s.clock.now()));
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

    it("Idempotency-Key: N concurrent identical submits make one request and N identical answers, one not replayed", async () => {
      const { s, session, submit } = await setup();
      const me = await session();
      const key = crypto.randomUUID();
      const n = 8;
      const all = await Promise.all(Array.from({ length: n }, () => submit(me.auth, { topic: "t", body: { same: true } }, { "Idempotency-Key": key })));
      expect(all.map((a) => a.res.status)).toEqual(Array(n).fill(202));
      expect(all.filter((a) => a.res.headers.get("idempotency-replayed") === null)).toHaveLength(1);
      expect(all.filter((a) => a.res.headers.get("idempotency-replayed") === "true")).toHaveLength(n - 1);
      for (const a of all) {
        expect(a.json).toEqual(all[0].json);
        expect(a.res.headers.get("location")).toBe(`/v1/requests/${all[0].json.id}`);
      }
      const rows = await s.db.orm.select().from(requests).where(eq(requests.userId, me.user.id)).all();
      expect(rows.map((r) => r.id)).toEqual([all[0].json.id]);
      expect(await s.db.orm.select().from(outbox).where(eq(outbox.entityId, all[0].json.id)).all()).toHaveLength(1);
      const [record] = await s.db.orm.select().from(idempotencyKeys).where(eq(idempotencyKeys.userId, me.user.id)).all();
      expect(record).toMatchObject({ key, state: "done", statusCode: 202 });
      expect(JSON.parse(record.responseBody ?? "null")).toEqual(all[0].json);
    });

    it("Idempotency-Key: concurrent submits with two bodies → one request; the other body's answers are the 422", async () => {
      const { s, session, submit } = await setup();
      const me = await session();
      const key = crypto.randomUUID();
      const bodies = [{ pick: "a" }, { pick: "b" }, { pick: "a" }, { pick: "b" }, { pick: "a" }, { pick: "b" }];
      const all = await Promise.all(bodies.map((body) => submit(me.auth, { topic: "t", body }, { "Idempotency-Key": key })));
      const rows = await s.db.orm.select().from(requests).where(eq(requests.userId, me.user.id)).all();
      expect(rows).toHaveLength(1);
      const won = JSON.parse(rows[0].body) as { pick: string };
      for (const [i, a] of all.entries()) {
        if (bodies[i].pick === won.pick) {
          expect(a.res.status).toBe(202);
          expect(a.json.id).toBe(rows[0].id);
        } else {
          await problem(a.res, "idempotency_key_reused", "/v1/requests");
        }
      }
      expect(all.filter((a) => a.res.status === 202 && a.res.headers.get("idempotency-replayed") === null)).toHaveLength(1);
    });

    it("Idempotency-Key: a first use that loses the race has its whole batch rolled back and answers the winner's record", async () => {
      const { s, session, submit } = await setup();
      const me = await session();
      const marker = (k: string) => ({ ...inFlightRecord(me.user.id, k, "marker", s.clock.now()), state: "done" as const, statusCode: 200, responseBody: "null" });
      /** A first use of `key` that has read "no record" and is held just before its batch. */
      const loserOf = async (key: string, payload: { topic: string; body: unknown; priority: number }, markerKey: string) => {
        let entered!: () => void;
        let release!: () => void;
        const inWrite = new Promise<void>((r) => (entered = r));
        const gate = new Promise<void>((r) => (release = r));
        const loser = once(s, me.user.id, key, await fingerprintOf(payload), async (record) => {
          entered();
          await gate;
          // A row of its own first, then the key's record (which the unique index refuses).
          await s.db.batch([s.db.orm.insert(idempotencyKeys).values(marker(markerKey)), ...record(202, { loser: true })]);
          return "written";
        });
        loser.catch(() => {}); // awaited below
        await inWrite;
        return { loser, release };
      };

      // Same payload: the loser answers the winner's stored response.
      const key = crypto.randomUUID();
      const same = await loserOf(key, { topic: "t", body: { x: 1 }, priority: 0 }, "marker-1");
      const winner = await submit(me.auth, { topic: "t", body: { x: 1 } }, { "Idempotency-Key": key });
      expect(winner.res.status).toBe(202);
      expect(winner.res.headers.get("idempotency-replayed")).toBeNull();
      same.release();
      expect(await same.loser).toEqual({ replay: { status: 202, body: winner.json } });

      // Another payload: the loser's answer is the 422.
      const key2 = crypto.randomUUID();
      const other = await loserOf(key2, { topic: "t", body: { x: 2 }, priority: 0 }, "marker-2");
      const winner2 = await submit(me.auth, { topic: "t", body: { x: 3 } }, { "Idempotency-Key": key2 });
      expect(winner2.res.status).toBe(202);
      other.release();
      await expect(other.loser).rejects.toMatchObject({ code: "idempotency_key_reused" });

      // Neither marker exists: each losing batch was rolled back whole.
      const keys = await s.db.orm.select().from(idempotencyKeys).where(eq(idempotencyKeys.userId, me.user.id)).all();
      expect(keys.map((k) => k.key).sort()).toEqual([key, key2].sort());
      expect(keys.map((k) => k.responseBody === JSON.stringify(winner.json) || k.responseBody === JSON.stringify(winner2.json))).toEqual([true, true]);
      expect(await s.db.orm.select().from(requests).where(eq(requests.userId, me.user.id)).all()).toHaveLength(2);
    });

    it("Idempotency-Key: an in-flight record whose request died half-way is taken over by the next submit", async () => {
      const { s, session, submit } = await setup();
      const me = await session();
      const key = crypto.randomUUID();
      const since = new Date(s.clock.now().getTime() - IN_FLIGHT_STALE_MS - 1_000);
      await s.db.orm.insert(idempotencyKeys).values(inFlightRecord(me.user.id, key, "someone else's payload", since));
      const made = await submit(me.auth, { topic: "t", body: { retry: true } }, { "Idempotency-Key": key });
      expect(made.res.status).toBe(202);
      expect(made.res.headers.get("idempotency-replayed")).toBeNull();
      const record = await s.db.orm.select().from(idempotencyKeys).where(eq(idempotencyKeys.userId, me.user.id)).get();
      expect(record).toMatchObject({ key, state: "done", statusCode: 202, fingerprint: await fingerprintOf({ topic: "t", body: { retry: true }, priority: 0 }) });
      const again = await submit(me.auth, { topic: "t", body: { retry: true } }, { "Idempotency-Key": key });
      expect(again.res.headers.get("idempotency-replayed")).toBe("true");
      expect(again.json).toEqual(made.json);
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
