// Requests and responses through the app factory, on Node (libSQL) and inside workerd (D1), with
// the response cache on real Redis behind the Upstash-compatible endpoint. Each network gets its
// own network id, so its cache keys (`airlock:<network id>:cache:…`) are its own.
import { describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import type { AirlockApp } from "../../src/app.ts";
import type { Services } from "../../src/services.ts";
import type { Role } from "../../src/identity/roles.ts";
import { auditLog, idempotencyKeys, outbox, requests } from "../../schema/index.ts";
import { CATALOG, type ErrorCode } from "../../src/errors.ts";
import { expectProblem } from "./harness.ts";
import { seedApiKey, seedSession } from "./identity-fixtures.ts";
import { afterApply, applyRequestStatuses, applyResponses } from "../../src/requests/apply.ts";
import { beginIdempotent, fingerprintOf } from "../../src/requests/idempotency.ts";
import type { ResponseRecord } from "../../src/requests/records.ts";
import { entryKey, userIndexKey } from "../../src/requests/response-cache.ts";
import { UpstashCache } from "../../src/deps/cache/upstash.ts";
import { run } from "./requests-apply.suite.ts";

export interface UpstashTarget {
  url: string;
  token: string;
}

export interface RequestsHarness {
  runtime: "node" | "workerd";
  /** A network of this role with a network id of its own, over the runtime's real services, its cache on `upstash`. */
  network(role: "request" | "response", settings?: Record<string, string>): Promise<{ app: AirlockApp; services: Services }>;
  /** The endpoint in front of the shared Redis (for the foreign-namespace probe). */
  upstash: UpstashTarget;
  /** A server that accepts connections and never answers. */
  hangingUrl: string;
  /** A redis-server of this test run's own behind its own endpoint, which the test may stop and start. */
  privateRedis: { upstash: UpstashTarget; stop(): Promise<void>; start(): Promise<void> };
}

type Json = Record<string, any>;

export function requestsSuite(h: RequestsHarness) {
  const setup = async (role: "request" | "response" = "request", settings: Record<string, string> = {}) => {
    const { app, services: s } = await h.network(role, settings);
    const call = (path: string, init: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.auth) headers.authorization = init.auth;
      if (init.body !== undefined) headers["content-type"] = "application/json";
      return app.request(path, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }, {});
    };
    const session = (r: Role = "user") => seedSession(s, { role: r });
    const submit = async (auth: string, body: unknown = { topic: "weather", body: { q: "rain tomorrow?" } }, headers: Record<string, string> = {}) => {
      const res = await call("/v1/requests", { method: "POST", auth, body, headers });
      return { res, json: (await res.clone().json()) as Json };
    };
    /** What the importer does when the master's answer arrives (statuses, response, then afterApply). */
    const deliver = async (id: string, seq: number, o: { status?: "answered" | "rejected" | "received"; version?: number; response?: Partial<ResponseRecord> | null } = {}) => {
      const status = o.status ?? "answered";
      const at = s.clock.now().toISOString();
      const ctx = { batchSequence: seq, receivedAt: s.clock.now().toISOString() };
      const statusRec = { id, status, version: o.version ?? 3, events: [{ status, at, ...(status === "rejected" ? { detail: "out of scope" } : {}) }] };
      const resp: ResponseRecord | null =
        o.response === null || status === "received"
          ? null
          : {
              request_id: id,
              kind: status === "rejected" ? "rejection" : "answer",
              body: status === "rejected" ? null : JSON.stringify({ answer: "sunny", seq }),
              content_type: status === "rejected" ? null : "application/json",
              reason: status === "rejected" ? "out of scope" : null,
              answered_by: "usr_operator",
              answered_at: at,
              version: 1,
              ...o.response,
            };
      await run(s, [...applyRequestStatuses(s, [statusRec], ctx), ...(resp ? applyResponses(s, [resp], ctx) : [])]);
      await afterApply(s, [{ kind: "request_status", data: statusRec }, ...(resp ? [{ kind: "response", data: resp as unknown as Record<string, unknown> }] : [])]);
    };
    const adminAuth = async () => (await session("admin")).auth;
    const stats = async (auth: string) => (await (await call("/v1/admin/cache/stats", { auth })).json()) as Json;
    return { app, s, call, session, submit, deliver, adminAuth, stats };
  };

  const problem = (res: Response, code: ErrorCode, path: string, detail?: string | RegExp) =>
    expectProblem(res, { status: CATALOG[code].status, code, title: CATALOG[code].title, instance: path, detail }, expect);

  describe(`requests and responses (${h.runtime}, upstash cache)`, () => {
    it("submit → 202 with Location; the request, its first event and its outbox record exist together", async () => {
      const { s, call, session, submit } = await setup();
      const me = await session();
      const { res, json } = await submit(me.auth, { topic: "weather", body: { q: "rain?", n: [1, 2] }, priority: 4 });
      expect(res.status).toBe(202);
      expect(res.headers.get("location")).toBe(`/v1/requests/${json.id}`);
      expect(res.headers.get("idempotency-replayed")).toBeNull();
      expect(json).toMatchObject({ id: expect.stringMatching(/^req_/), user_id: me.user.id, topic: "weather", priority: 4, status: "submitted", body: { q: "rain?", n: [1, 2] }, api_key_id: null, cancelled_at: null });
      expect(json.timeline).toEqual([{ status: "submitted", at: json.created_at, network: s.config.networkId, batch_sequence: null, detail: null }]);
      expect(json.links).toEqual({ self: `/v1/requests/${json.id}`, response: `/v1/requests/${json.id}/response` });

      const got = await call(`/v1/requests/${json.id}`, { auth: me.auth });
      expect(got.status).toBe(200);
      expect(await got.json()).toMatchObject({ id: json.id, status: "submitted", timeline: json.timeline });
      const out = await s.db.orm.select().from(outbox).where(and(eq(outbox.entityId, json.id), eq(outbox.kind, "request"))).all();
      expect(out).toHaveLength(1);
      expect(JSON.parse(out[0].payload)).toEqual({ id: json.id, user_id: me.user.id, api_key_id: null, topic: "weather", body: { q: "rain?", n: [1, 2] }, priority: 4, created_at: json.created_at, cancelled_at: null, version: 1 });
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
      await s.db.orm.update(idempotencyKeys).set({ expiresAt: "2000-01-01T00:00:00.000Z" }).where(and(eq(idempotencyKeys.userId, me.user.id), eq(idempotencyKeys.key, key.slice(1, -1))));
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

    it("ownership: someone else's request is 404 everywhere, never 403; operators and admins read all", async () => {
      const { call, session, submit } = await setup();
      const owner = await session();
      const stranger = await session();
      const operator = await session("operator");
      const { json } = await submit(owner.auth);
      for (const [method, path] of [
        ["GET", `/v1/requests/${json.id}`],
        ["GET", `/v1/requests/${json.id}/response`],
        ["POST", `/v1/requests/${json.id}/cancel`],
      ] as const) {
        await problem(await call(path, { method, auth: stranger.auth }), "not_found", path, "no such request");
      }
      await problem(await call("/v1/requests/req_doesnotexist", { auth: owner.auth }), "not_found", "/v1/requests/req_doesnotexist", "no such request");
      expect((await call(`/v1/requests/${json.id}`, { auth: operator.auth })).status).toBe(200);
      const theirList = (await (await call(`/v1/requests?user_id=${owner.user.id}`, { auth: stranger.auth })).json()) as Json;
      expect(theirList.items).toEqual([]); // user_id is ignored for users
      const opList = (await (await call(`/v1/requests?user_id=${owner.user.id}`, { auth: operator.auth })).json()) as Json;
      expect(opList.items.map((i: Json) => i.id)).toEqual([json.id]);
      // Operators read everyone's but cancel only their own.
      await problem(await call(`/v1/requests/${json.id}/cancel`, { method: "POST", auth: operator.auth }), "forbidden", `/v1/requests/${json.id}/cancel`);
    });

    it("list: newest first, status and date filters, cursor pagination", async () => {
      const { s, call, session, submit } = await setup();
      const me = await session();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await submit(me.auth, { topic: i % 2 ? "odd" : "even", body: i })).json.id);
      await s.db.orm.update(requests).set({ status: "exported" }).where(eq(requests.id, ids[1]));
      await s.db.orm.update(requests).set({ createdAt: "2020-01-01T00:00:00.000Z" }).where(eq(requests.id, ids[0]));
      const page1 = (await (await call("/v1/requests?limit=2", { auth: me.auth })).json()) as Json;
      expect(page1.items.map((i: Json) => i.id)).toEqual([ids[4], ids[3]]);
      expect(page1.items[0]).not.toHaveProperty("body");
      const page2 = (await (await call(`/v1/requests?limit=2&cursor=${page1.next_cursor}`, { auth: me.auth })).json()) as Json;
      expect(page2.items.map((i: Json) => i.id)).toEqual([ids[2], ids[1]]);
      const page3 = (await (await call(`/v1/requests?limit=2&cursor=${page2.next_cursor}`, { auth: me.auth })).json()) as Json;
      expect(page3).toEqual({ items: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
      const exported = (await (await call("/v1/requests?status=exported,received", { auth: me.auth })).json()) as Json;
      expect(exported.items.map((i: Json) => i.id)).toEqual([ids[1]]);
      const old = (await (await call("/v1/requests?created_before=2021-01-01T00:00:00Z", { auth: me.auth })).json()) as Json;
      expect(old.items.map((i: Json) => i.id)).toEqual([ids[0]]);
      const recent = (await (await call("/v1/requests?created_after=2021-01-01T00:00:00Z&topic=odd", { auth: me.auth })).json()) as Json;
      expect(recent.items.map((i: Json) => i.id)).toEqual([ids[3], ids[1]]);
      await problem(await call("/v1/requests?status=bogus", { auth: me.auth }), "validation_failed", "/v1/requests");
      await problem(await call("/v1/requests?cursor=garbage", { auth: me.auth }), "validation_failed", "/v1/requests");
    });

    it("cancel until answered: twice is fine, the change travels (version 2), answered is 409", async () => {
      const { s, call, session, submit, deliver } = await setup();
      const me = await session();
      const a = (await submit(me.auth)).json;
      const res = await call(`/v1/requests/${a.id}/cancel`, { method: "POST", auth: me.auth });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Json;
      expect(body).toMatchObject({ status: "cancelled", cancelled_at: expect.any(String), estimated_answer_at: null });
      expect(body.timeline.map((e: Json) => e.status)).toEqual(["submitted", "cancelled"]);
      expect((await call(`/v1/requests/${a.id}/cancel`, { method: "POST", auth: me.auth })).status).toBe(200);
      const records = await s.db.orm.select().from(outbox).where(eq(outbox.entityId, a.id)).orderBy(asc(outbox.seq)).all();
      expect(records.map((r) => [r.kind, r.version, JSON.parse(r.payload).cancelled_at])).toEqual([
        ["request", 1, null],
        ["request", 2, body.cancelled_at],
      ]);
      await problem(await call(`/v1/requests/${a.id}/response`, { auth: me.auth }), "request_cancelled", `/v1/requests/${a.id}/response`);

      const b = (await submit(me.auth)).json;
      await deliver(b.id, 5);
      const late = await call(`/v1/requests/${b.id}/cancel`, { method: "POST", auth: me.auth });
      const p = await problem(late, "request_not_cancellable", `/v1/requests/${b.id}/cancel`, "the request is already answered");
      expect(p.request_status).toBe("answered");
    });

    it("GET …/response: pending problem, then 200 with ETag and Cache-Control private; 304 on If-None-Match; miss then hit; a newer version changes the ETag and is never served stale", async () => {
      const { s, call, session, submit, deliver, adminAuth, stats } = await setup();
      const me = await session();
      const admin = await adminAuth();
      const { json } = await submit(me.auth);
      const path = `/v1/requests/${json.id}/response`;
      const pending = await call(path, { auth: me.auth });
      const p = await problem(pending, "response_pending", path, "no response yet; the request is submitted");
      expect(p).toMatchObject({ request_status: "submitted", estimated_answer_at: null });
      expect(Number(pending.headers.get("retry-after"))).toBeGreaterThan(0);

      await deliver(json.id, 9, { status: "received", response: null, version: 1 });
      expect(await problem(await call(path, { auth: me.auth }), "response_pending", path)).toMatchObject({ request_status: "received" });

      const before = await stats(admin);
      await deliver(json.id, 10);
      const first = await call(path, { auth: me.auth });
      expect(first.status).toBe(200);
      expect(first.headers.get("etag")).toBe('"v1.s10"');
      expect(first.headers.get("cache-control")).toContain("private");
      expect(first.headers.get("x-cache")).toBe("miss");
      const body = (await first.json()) as Json;
      expect(body).toEqual({ request_id: json.id, kind: "answer", content_type: "application/json", body: { answer: "sunny", seq: 10 }, answered_at: expect.any(String), version: 1, delivered_sequence: 10 });
      expect(await s.cache.get(entryKey(json.id))).toEqual({ etag: '"v1.s10"', value: body });
      expect(await s.cache.smembers(userIndexKey(me.user.id))).toEqual([entryKey(json.id)]);

      const second = await call(path, { auth: me.auth });
      expect(second.headers.get("x-cache")).toBe("hit");
      expect(await second.json()).toEqual(body);
      const notModified = await call(path, { auth: me.auth, headers: { "If-None-Match": '"v1.s10"' } });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get("etag")).toBe('"v1.s10"');
      expect(await notModified.text()).toBe("");
      expect((await call(path, { auth: me.auth, headers: { "If-None-Match": 'W/"v0.s1", W/"v1.s10"' } })).status).toBe(304);
      expect((await call(path, { auth: me.auth, headers: { "If-None-Match": '"v0.s1"' } })).status).toBe(200);
      const after = await stats(admin);
      expect(after.misses - before.misses).toBe(1);
      expect(after.hits - before.hits).toBe(2);
      expect(after.hit_ratio).toBeGreaterThan(0);

      // A correction arrives (version 2, batch 12): afterApply deletes the entry; the ETag moves on.
      await deliver(json.id, 12, { response: { version: 2, body: JSON.stringify({ answer: "rain" }) } });
      expect(await s.cache.get(entryKey(json.id))).toBeNull();
      const updated = await call(path, { auth: me.auth, headers: { "If-None-Match": '"v1.s10"' } });
      expect(updated.status).toBe(200);
      expect(updated.headers.get("etag")).toBe('"v2.s12"');
      expect(updated.headers.get("x-cache")).toBe("miss");
      expect(((await updated.json()) as Json).body).toEqual({ answer: "rain" });

      // Even if an invalidation is lost (e.g. Redis was down at import time), a stale copy is never served.
      await s.cache.set(entryKey(json.id), { etag: '"v1.s10"', value: body }, 60);
      const guarded = await call(path, { auth: me.auth });
      expect(guarded.headers.get("etag")).toBe('"v2.s12"');
      expect(guarded.headers.get("x-cache")).toBe("stale");
      expect(((await guarded.json()) as Json).body).toEqual({ answer: "rain" });
      expect((await stats(admin)).stale - after.stale).toBe(1);

      // The timeline shows each transition with the batch that carried it.
      const tl = ((await (await call(`/v1/requests/${json.id}`, { auth: me.auth })).json()) as Json).timeline as Json[];
      expect(tl.map((e) => [e.status, e.batch_sequence])).toEqual([
        ["submitted", null],
        ["received", 9],
        ["answered", 10],
        ["available", 10],
        ["response_updated", 12],
      ]);
    });

    it("rejected → 422 request_rejected with the reason; the timeline carries it", async () => {
      const { call, session, submit, deliver } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      await deliver(json.id, 3, { status: "rejected" });
      const path = `/v1/requests/${json.id}/response`;
      const p = await problem(await call(path, { auth: me.auth }), "request_rejected", path, "the request was rejected: out of scope");
      expect(p).toMatchObject({ request_status: "rejected", reason: "out of scope", rejected_at: expect.any(String) });
      const got = (await (await call(`/v1/requests/${json.id}`, { auth: me.auth })).json()) as Json;
      expect(got.status).toBe("rejected");
      expect(got.timeline.find((e: Json) => e.status === "rejected")).toMatchObject({ detail: "out of scope", batch_sequence: 3 });
    });

    it("a pending request gets an estimate from the observed turnaround of recent answers", async () => {
      const { s, call, session, submit, deliver } = await setup();
      const me = await session();
      const { resetEstimates } = await import("../../src/requests/estimate.ts");
      // History: three answers that took 10, 20 and 30 minutes.
      for (const minutes of [10, 20, 30]) {
        const { json } = await submit(me.auth);
        await deliver(json.id, 40 + minutes);
        await s.db.orm.update(requests).set({ createdAt: new Date(s.clock.now().getTime() - minutes * 60_000).toISOString() }).where(eq(requests.id, json.id));
      }
      resetEstimates(s);
      const { json } = await submit(me.auth);
      const got = (await (await call(`/v1/requests/${json.id}`, { auth: me.auth })).json()) as Json;
      expect(got.estimate).toMatchObject({ sample_size: expect.any(Number), median_seconds: expect.any(Number) });
      const eta = Date.parse(got.estimated_answer_at) - Date.parse(json.created_at);
      // This network may hold other tests' answers too (shared D1): the estimate is within the observed range.
      expect(eta).toBeGreaterThan(0);
      expect(eta).toBeLessThanOrEqual(31 * 60_000);
    });

    it("API key scopes: requests:read reads but cannot submit; requests:write submits but cannot read; the key is recorded", async () => {
      const { s, call, session, submit } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      const reader = await seedApiKey(s, me.user.id, { scopes: ["requests:read"] });
      const writer = await seedApiKey(s, me.user.id, { scopes: ["requests:write"] });
      expect((await call(`/v1/requests/${json.id}`, { headers: { "x-api-key": reader.key } })).status).toBe(200);
      expect((await call("/v1/requests", { headers: { "x-api-key": reader.key } })).status).toBe(200);
      await problem(await call("/v1/requests", { method: "POST", body: { topic: "t", body: 1 }, headers: { "x-api-key": reader.key } }), "forbidden", "/v1/requests", "this API key lacks the scope requests:write");
      const made = await call("/v1/requests", { method: "POST", body: { topic: "t", body: 1 }, headers: { authorization: `Bearer ${writer.key}` } });
      expect(made.status).toBe(202);
      expect(((await made.json()) as Json).api_key_id).toBe(writer.id);
      await problem(await call(`/v1/requests/${json.id}`, { headers: { "x-api-key": writer.key } }), "forbidden", `/v1/requests/${json.id}`, "this API key lacks the scope requests:read");
    });

    it("cache administration: clear all (only this network's cache keys), one user, a pattern; each audited", async () => {
      const { s, call, session, submit, deliver, stats } = await setup();
      const adminSession = await session("admin");
      const admin = adminSession.auth;
      const alice = await session();
      const bob = await session();
      const ids: Record<string, string[]> = { alice: [], bob: [] };
      for (const [name, who] of [["alice", alice], ["bob", bob]] as const) {
        for (let i = 0; i < 2; i++) {
          const { json } = await submit(who.auth);
          await deliver(json.id, 20 + i);
          expect((await call(`/v1/requests/${json.id}/response`, { auth: who.auth })).status).toBe(200);
          ids[name].push(json.id);
        }
      }
      const present = async (id: string) => (await s.cache.get(entryKey(id))) !== null;
      expect(await Promise.all([...ids.alice, ...ids.bob].map(present))).toEqual([true, true, true, true]);
      expect((await stats(admin)).keys).toEqual({ responses: 4, user_indexes: 2, other: 0, truncated: false });

      // Neighbours that must survive: a non-cache key of this network (e.g. the rate limiter's) and another namespace.
      await s.cache.set("rl:probe", { keep: true }, 600);
      const foreignNs = `airlock-test-foreign-${crypto.randomUUID().slice(0, 8)}:`;
      const foreign = new UpstashCache(h.upstash, foreignNs, { timeoutMs: 2000 });
      await foreign.set("cache:resp:x", 1, 600);

      // One user.
      const cu = await call(`/v1/admin/cache/users/${alice.user.id}`, { method: "DELETE", auth: admin });
      expect(cu.status).toBe(200);
      expect(await cu.json()).toEqual({ deleted: 2, scope: `airlock:${s.config.networkId}:cache:idx:user:${alice.user.id}` });
      expect(await Promise.all([...ids.alice, ...ids.bob].map(present))).toEqual([false, false, true, true]);
      await problem(await call("/v1/admin/cache/users/usr_nobody", { method: "DELETE", auth: admin }), "not_found", "/v1/admin/cache/users/usr_nobody");

      // A pattern (SCAN-based), relative to the cache namespace.
      const pat = await call("/v1/admin/cache/invalidate", { method: "POST", auth: admin, body: { pattern: `resp:${ids.bob[0]}` } });
      expect(await pat.json()).toEqual({ deleted: 1, scope: `airlock:${s.config.networkId}:cache:resp:${ids.bob[0]}` });
      expect(await Promise.all(ids.bob.map(present))).toEqual([false, true]);
      for (const bad of ["", "../x", "a b", "x\\*", "*".repeat(201)]) {
        await problem(await call("/v1/admin/cache/invalidate", { method: "POST", auth: admin, body: { pattern: bad } }), "validation_failed", "/v1/admin/cache/invalidate");
      }

      // Everything of this network's cache, and nothing else.
      const all = await call("/v1/admin/cache", { method: "DELETE", auth: admin });
      expect(all.status).toBe(200);
      const cleared = (await all.json()) as Json;
      expect(cleared).toEqual({ deleted: 2, scope: `airlock:${s.config.networkId}:cache:*` }); // bob's last entry and his index
      expect(await present(ids.bob[1])).toBe(false);
      expect(await s.cache.get("rl:probe")).toEqual({ keep: true });
      expect(await foreign.get("cache:resp:x")).toBe(1);
      await foreign.del(["cache:resp:x"]);
      expect((await stats(admin)).keys).toEqual({ responses: 0, user_indexes: 0, other: 0, truncated: false });

      // Reads still work after a clear (a miss refills).
      const again = await call(`/v1/requests/${ids.bob[1]}/response`, { auth: bob.auth });
      expect(again.headers.get("x-cache")).toBe("miss");

      const actions = (await s.db.orm.select().from(auditLog).all()).filter((r) => r.action.startsWith("cache.") && r.actorId === adminSession.user.id);
      expect(actions.map((a) => [a.action, a.targetId, a.outcome, JSON.parse(a.details!).deleted])).toEqual([
        ["cache.clear_user", alice.user.id, "success", 2],
        ["cache.invalidate", null, "success", 1],
        ["cache.clear", null, "success", 2],
      ]);
    });

    it("cache stats and health describe the store", async () => {
      const { call, adminAuth } = await setup();
      const admin = await adminAuth();
      const st = (await (await call("/v1/admin/cache/stats", { auth: admin })).json()) as Json;
      expect(st).toMatchObject({ store: "upstash", ttl_seconds: 86_400, available: true, errors: 0, last_error: null, since: expect.any(String), reads: expect.any(Number) });
      const health = (await (await call("/v1/admin/cache/health", { auth: admin })).json()) as Json;
      expect(health).toMatchObject({ status: "ok", store: "upstash", error: null, timeout_ms: expect.any(Number) });
    });

    it("a Redis that never answers costs a read at most AIRLOCK_CACHE_TIMEOUT_MS, then the database answers", async () => {
      const { call, session, submit, deliver, adminAuth, stats } = await setup("request", {
        UPSTASH_REDIS_REST_URL: h.hangingUrl,
        UPSTASH_REDIS_REST_TOKEN: "unused-token",
        AIRLOCK_CACHE_TIMEOUT_MS: "200",
        AIRLOCK_RATE_LIMIT_ON_ERROR: "open",
        AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "50",
      });
      const me = await session();
      const admin = await adminAuth();
      const { json } = await submit(me.auth);
      await deliver(json.id, 2);
      const started = Date.now();
      const res = await call(`/v1/requests/${json.id}/response`, { auth: me.auth });
      const took = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.headers.get("x-cache")).toBe("error");
      expect(((await res.json()) as Json).body).toEqual({ answer: "sunny", seq: 2 });
      // get (bounded) + set (bounded) + the limiter's bound: well under two seconds.
      expect(took).toBeLessThan(2000);
      const st = await stats(admin);
      expect(st.errors).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(st.last_error)).toMatch(/timed out|abort/i);
    });

    it("Redis stopped in the middle: reads still 200 from the database, the error counted and logged; admin actions 503; back when Redis is", async () => {
      const { s, call, session, submit, deliver, adminAuth, stats } = await setup("request", {
        UPSTASH_REDIS_REST_URL: h.privateRedis.upstash.url,
        UPSTASH_REDIS_REST_TOKEN: h.privateRedis.upstash.token,
        AIRLOCK_RATE_LIMIT_ON_ERROR: "open", // the limiter shares this Redis; let it fail open so the cache fallback is what we see
      });
      const me = await session();
      const admin = await adminAuth();
      const { json } = await submit(me.auth);
      await deliver(json.id, 4);
      const path = `/v1/requests/${json.id}/response`;
      expect((await call(path, { auth: me.auth })).headers.get("x-cache")).toBe("miss");
      expect((await call(path, { auth: me.auth })).headers.get("x-cache")).toBe("hit");
      await h.privateRedis.stop();
      try {
        const down = await call(path, { auth: me.auth });
        expect(down.status).toBe(200);
        expect(down.headers.get("etag")).toBe('"v1.s4"');
        expect(down.headers.get("x-cache")).toBe("error");
        expect(((await down.json()) as Json).body).toEqual({ answer: "sunny", seq: 4 });
        const st = await stats(admin);
        expect(st).toMatchObject({ available: false, hits: null, keys: null });
        expect(st.errors).toBeGreaterThanOrEqual(1);
        expect(st.last_error).toMatchObject({ op: "stats", message: expect.any(String) }); // the stats read itself failed last
        const logs = (s.logger as unknown as { entries: Json[] }).entries.filter((e) => e.msg === "cache error");
        expect(logs.map((l) => l.op)).toEqual(expect.arrayContaining(["get", "stats"]));
        expect((await (await call("/v1/admin/cache/health", { auth: admin })).json()) as Json).toMatchObject({ status: "unavailable", error: expect.any(String) });
        await problem(await call("/v1/admin/cache", { method: "DELETE", auth: admin }), "cache_unavailable", "/v1/admin/cache");
        const failed = (await s.db.orm.select().from(auditLog).all()).filter((r) => r.action === "cache.clear");
        expect(failed.at(-1)).toMatchObject({ outcome: "failure" });
      } finally {
        await h.privateRedis.start();
      }
      // A fresh Redis: the first read misses and refills.
      let refilled: Response | undefined;
      for (let i = 0; i < 50; i++) {
        refilled = await call(path, { auth: me.auth });
        if (refilled.headers.get("x-cache") === "miss" && (await s.cache.get(entryKey(json.id)).catch(() => null))) break;
        await new Promise((r) => setTimeout(r, 100)); // the endpoint reconnects to the restarted Redis
      }
      expect(refilled!.status).toBe(200);
      expect((await call(path, { auth: me.auth })).headers.get("x-cache")).toBe("hit");
    });
  });

  describe(`queue and answers on the response network (${h.runtime})`, () => {
    /** A request as the master holds it after an import. */
    const received = async (s: Services, userId: string, o: Partial<typeof requests.$inferInsert> = {}) => {
      const now = s.clock.now().toISOString();
      const row = { id: `req_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`, userId, topic: "weather", body: JSON.stringify({ q: 1 }), status: "received" as const, createdAt: now, updatedAt: now, replicaVersion: 1, masterVersion: 1, ...o };
      await s.db.orm.insert(requests).values(row);
      return row;
    };
    const masterOutbox = (s: Services, id: string) =>
      s.db.orm.select().from(outbox).where(eq(outbox.entityId, id)).orderBy(asc(outbox.seq)).all().then((rows) => rows.map((r) => ({ kind: r.kind, version: r.version, payload: JSON.parse(r.payload) as Json })));

    it("queue: most urgent first, then oldest; filters; claims; answers and rejections write their outbox records", async () => {
      const { s, call, session } = await setup("response");
      const op = await session("operator");
      const op2 = await session("operator");
      const requester = await session();
      const topic = `q-${crypto.randomUUID().slice(0, 8)}`;
      const old = await received(s, requester.user.id, { topic, createdAt: "2026-01-01T00:00:00.000Z" });
      const urgent = await received(s, requester.user.id, { topic, priority: 9, createdAt: "2026-01-02T00:00:00.000Z" });
      const newer = await received(s, requester.user.id, { topic, createdAt: "2026-01-03T00:00:00.000Z" });
      await received(s, requester.user.id, { topic, status: "answered" });
      const q = async (query: string, auth = op.auth) => ((await (await call(`/v1/queue?topic=${topic}${query}`, { auth })).json()) as Json).items.map((i: Json) => i.id);
      expect(await q("")).toEqual([urgent.id, old.id, newer.id]);
      const p1 = (await (await call(`/v1/queue?topic=${topic}&limit=2`, { auth: op.auth })).json()) as Json;
      const p2 = (await (await call(`/v1/queue?topic=${topic}&limit=2&cursor=${p1.next_cursor}`, { auth: op.auth })).json()) as Json;
      expect([...p1.items, ...p2.items].map((i: Json) => i.id)).toEqual([urgent.id, old.id, newer.id]);
      expect(p2.next_cursor).toBeNull();

      // Claim: processing, and the status travels.
      const claim = await call(`/v1/queue/${old.id}/claim`, { method: "POST", auth: op.auth });
      expect(claim.status).toBe(200);
      const claimed = (await claim.json()) as Json;
      expect(claimed).toMatchObject({ id: old.id, status: "processing", claimed_by: op.user.id, claim_expires_at: expect.any(String), processor: { attempts: 0, error: null, next_attempt_at: null } });
      expect(Date.parse(claimed.claim_expires_at) - Date.now()).toBeGreaterThan(800_000); // 900 s by default
      expect(await q("&claimed=mine")).toEqual([old.id]);
      expect(await q("&claimed=unclaimed")).toEqual([urgent.id, newer.id]);
      expect(await q("&claimed=others", op2.auth)).toEqual([old.id]);
      expect(await q("&status=processing")).toEqual([old.id]);
      const taken = await call(`/v1/queue/${old.id}/claim`, { method: "POST", auth: op2.auth });
      expect(await problem(taken, "request_claimed", `/v1/queue/${old.id}/claim`)).toMatchObject({ claimed_by: op.user.id });
      await problem(await call(`/v1/requests/${old.id}/response`, { method: "POST", auth: op2.auth, body: { body: "mine" } }), "request_claimed", `/v1/requests/${old.id}/response`);

      // Answer (JSON by default).
      const ans = await call(`/v1/requests/${old.id}/response`, { method: "POST", auth: op.auth, body: { body: { forecast: "sunny" } } });
      expect(ans.status).toBe(201);
      expect(await ans.json()).toMatchObject({ request_id: old.id, status: "answered", kind: "answer", content_type: "application/json", answered_by: op.user.id, version: 1 });
      expect(await masterOutbox(s, old.id)).toEqual([
        { kind: "request_status", version: 2, payload: { id: old.id, status: "processing", version: 2, events: [{ status: "processing", at: expect.any(String) }] } },
        { kind: "request_status", version: 3, payload: { id: old.id, status: "answered", version: 3, events: [{ status: "answered", at: expect.any(String) }] } },
        {
          kind: "response",
          version: 1,
          payload: { request_id: old.id, kind: "answer", body: JSON.stringify({ forecast: "sunny" }), content_type: "application/json", reason: null, answered_by: op.user.id, answered_at: expect.any(String), version: 1 },
        },
      ]);
      expect(await q("")).toEqual([urgent.id, newer.id]);
      // A correction: a new response version, the status stays.
      const fix = await call(`/v1/requests/${old.id}/response`, { method: "POST", auth: op.auth, body: { body: "Sunny, 21 °C", content_type: "text/plain; charset=utf-8" } });
      expect(await fix.json()).toMatchObject({ status: "answered", content_type: "text/plain; charset=utf-8", version: 2 });
      expect((await masterOutbox(s, old.id)).at(-1)).toMatchObject({ kind: "response", version: 2, payload: { body: "Sunny, 21 °C" } });
      await problem(await call(`/v1/requests/${newer.id}/response`, { method: "POST", auth: op.auth, body: { body: { a: 1 }, content_type: "text/plain" } }), "validation_failed", `/v1/requests/${newer.id}/response`);
      await problem(await call(`/v1/requests/${newer.id}/response`, { method: "POST", auth: op.auth, body: { body: 1, content_type: "not a type" } }), "validation_failed", `/v1/requests/${newer.id}/response`);

      // Reject.
      const rej = await call(`/v1/requests/${urgent.id}/reject`, { method: "POST", auth: op2.auth, body: { reason: "out of scope" } });
      expect(rej.status).toBe(201);
      expect(await rej.json()).toMatchObject({ status: "rejected", kind: "rejection", reason: "out of scope", answered_by: op2.user.id });
      expect((await masterOutbox(s, urgent.id)).map((r) => [r.kind, r.version, r.payload.status ?? r.payload.kind])).toEqual([
        ["request_status", 2, "rejected"],
        ["response", 1, "rejection"],
      ]);
      await problem(await call(`/v1/requests/${urgent.id}/response`, { method: "POST", auth: op.auth, body: { body: 1 } }), "request_not_answerable", `/v1/requests/${urgent.id}/response`);
      await problem(await call(`/v1/requests/${urgent.id}/reject`, { method: "POST", auth: op.auth, body: { reason: "again" } }), "request_not_answerable", `/v1/requests/${urgent.id}/reject`);
      await problem(await call(`/v1/queue/${urgent.id}/claim`, { method: "POST", auth: op.auth }), "request_not_answerable", `/v1/queue/${urgent.id}/claim`);
      await problem(await call("/v1/queue/req_nope/claim", { method: "POST", auth: op.auth }), "not_found", "/v1/queue/req_nope/claim");

      // An expired claim lets others in.
      await call(`/v1/queue/${newer.id}/claim`, { method: "POST", auth: op.auth });
      await s.db.orm.update(requests).set({ claimExpiresAt: "2000-01-01T00:00:00.000Z" }).where(eq(requests.id, newer.id));
      expect((await call(`/v1/queue/${newer.id}/claim`, { method: "POST", auth: op2.auth })).status).toBe(200);

      const audit = (await s.db.orm.select().from(auditLog).all()).filter((a) => a.targetId === old.id).map((a) => a.action);
      expect(audit).toEqual(["request.claim", "request.answer", "request.answer_correct"]);
    });

    it("the request network has no queue, and answers belong to the response network", async () => {
      const { call, session, submit } = await setup("request");
      const op = await session("operator");
      const me = await session();
      const { json } = await submit(me.auth);
      await problem(await call("/v1/queue", { auth: op.auth }), "wrong_network", "/v1/queue");
      await problem(await call(`/v1/queue/${json.id}/claim`, { method: "POST", auth: op.auth }), "wrong_network", `/v1/queue/${json.id}/claim`);
      await problem(await call(`/v1/requests/${json.id}/response`, { method: "POST", auth: op.auth, body: { body: 1 } }), "owned_by_other_network", `/v1/requests/${json.id}/response`);
      await problem(await call(`/v1/requests/${json.id}/reject`, { method: "POST", auth: op.auth, body: { reason: "no" } }), "owned_by_other_network", `/v1/requests/${json.id}/reject`);
      const m = await setup("response");
      const u = await m.session();
      await problem(await m.call("/v1/requests", { method: "POST", auth: u.auth, body: { topic: "t", body: 1 } }), "owned_by_other_network", "/v1/requests");
    });

    it("admin statistics: counts by status, oldest pending, per-user volumes, latency percentiles", async () => {
      const { s, call, session, adminAuth } = await setup("response");
      const admin = await adminAuth();
      const u = await session();
      const t0 = Date.now();
      const at = (msAgo: number) => new Date(t0 - msAgo).toISOString();
      await received(s, u.user.id, { createdAt: at(3_600_000) });
      // Answered in the future, so a window starting then holds only these (other tests may share the database).
      const future = Date.UTC(2099, 0, 1);
      for (const [i, secs] of [10, 20, 30, 40, 100].entries()) {
        await received(s, u.user.id, { status: "answered", createdAt: new Date(future + i).toISOString(), answeredAt: new Date(future + i + secs * 1000).toISOString() });
      }
      await received(s, u.user.id, { status: "rejected", createdAt: at(5000) });
      const res = await call("/v1/admin/stats", { auth: admin });
      expect(res.status).toBe(200);
      const st = (await res.json()) as Json;
      expect(st.role).toBe("response");
      expect(st.by_status.answered).toBeGreaterThanOrEqual(5);
      expect(st.oldest_pending.age_seconds).toBeGreaterThanOrEqual(3599);
      expect(st.per_user.find((p: Json) => p.user_id === u.user.id)).toEqual({ user_id: u.user.id, total: 7, answered: 5, rejected: 1, cancelled: 0, pending: 1 });
      expect(st.answer_latency_seconds.count).toBeGreaterThanOrEqual(5);
      expect(st.delivery_latency_seconds).toBeNull();
      // Only ours in a narrow window.
      const mine = (await (await call(`/v1/admin/stats?since=${encodeURIComponent(new Date(future).toISOString())}`, { auth: admin })).json()) as Json;
      expect(mine.answer_latency_seconds).toMatchObject({ p50: 30, p90: 100, p99: 100, max: 100 });
    });
  });
}
