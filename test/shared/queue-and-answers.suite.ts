// The response network's side: the queue (most urgent first, claims), answers and rejections with
// their outbox records, the request network having no queue, and the admin statistics.
// On Node (libSQL) and inside workerd (D1), the response cache on real Redis behind the
// Upstash-compatible endpoint; the entry files are test/node/queue-and-answers.test.ts and test/workers/queue-and-answers.test.ts.
import { describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import type { Services } from "../../src/services.ts";
import { auditLog, outbox, requests } from "../../schema/index.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

export function queueAndAnswersSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);

  describe(`queue and answers on the response network (${h.runtime})`, () => {
    /** A request as the master holds it after an import. */
    const received = async (s: Services, userId: string, o: Partial<typeof requests.$inferInsert> = {}) => {
      const now = s.clock.now().toISOString();
      const row = {
        id: `req_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`,
        userId,
        topic: "weather",
        body: JSON.stringify({ q: 1 }),
        status: "received" as const,
        createdAt: now,
        updatedAt: now,
        replicaVersion: 1,
        masterVersion: 1,
        ...o,
      };
      await s.db.orm.insert(requests).values(row);
      return row;
    };
    const masterOutbox = (s: Services, id: string) =>
      s.db.orm
        .select()
        .from(outbox)
        .where(eq(outbox.entityId, id))
        .orderBy(asc(outbox.seq))
        .all()
        .then((rows) => rows.map((r) => ({ kind: r.kind, version: r.version, payload: JSON.parse(r.payload) as Json })));

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
      expect(await q("&min_priority=5")).toEqual([urgent.id]);
      expect(await q("&created_before=2026-01-02T00:00:00Z")).toEqual([old.id]);
      expect(await q("&min_priority=1&created_before=2026-01-03T00:00:00Z")).toEqual([urgent.id]);
      const p1 = (await (await call(`/v1/queue?topic=${topic}&limit=2`, { auth: op.auth })).json()) as Json;
      const p2 = (await (await call(`/v1/queue?topic=${topic}&limit=2&cursor=${p1.next_cursor}`, { auth: op.auth })).json()) as Json;
      expect([...p1.items, ...p2.items].map((i: Json) => i.id)).toEqual([urgent.id, old.id, newer.id]);
      expect(p2.next_cursor).toBeNull();

      // Claim: processing, and the status travels.
      const claim = await call(`/v1/queue/${old.id}/claim`, { method: "POST", auth: op.auth });
      expect(claim.status).toBe(200);
      const claimed = (await claim.json()) as Json;
      expect(claimed).toMatchObject({
        id: old.id,
        status: "processing",
        claimed_by: op.user.id,
        claim_expires_at: expect.any(String),
        processor: { attempts: 0, error: null, next_attempt_at: null },
      });
      expect(Date.parse(claimed.claim_expires_at) - Date.now()).toBeGreaterThan(800_000); // 900 s by default
      expect(await q("&claimed=mine")).toEqual([old.id]);
      expect(await q("&claimed=unclaimed")).toEqual([urgent.id, newer.id]);
      expect(await q("&claimed=others", op2.auth)).toEqual([old.id]);
      expect(await q("&status=processing")).toEqual([old.id]);
      const taken = await call(`/v1/queue/${old.id}/claim`, { method: "POST", auth: op2.auth });
      expect(await problem(taken, "request_claimed", `/v1/queue/${old.id}/claim`)).toMatchObject({ claimed_by: op.user.id });
      await problem(
        await call(`/v1/requests/${old.id}/response`, { method: "POST", auth: op2.auth, body: { body: "mine" } }),
        "request_claimed",
        `/v1/requests/${old.id}/response`,
      );

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
          payload: {
            request_id: old.id,
            kind: "answer",
            body: JSON.stringify({ forecast: "sunny" }),
            content_type: "application/json",
            reason: null,
            answered_by: op.user.id,
            answered_at: expect.any(String),
            version: 1,
          },
        },
      ]);
      expect(await q("")).toEqual([urgent.id, newer.id]);
      // A correction: a new response version, the status stays.
      const fix = await call(`/v1/requests/${old.id}/response`, { method: "POST", auth: op.auth, body: { body: "Sunny, 21 °C", content_type: "text/plain; charset=utf-8" } });
      expect(await fix.json()).toMatchObject({ status: "answered", content_type: "text/plain; charset=utf-8", version: 2 });
      expect((await masterOutbox(s, old.id)).at(-1)).toMatchObject({ kind: "response", version: 2, payload: { body: "Sunny, 21 °C" } });
      await problem(
        await call(`/v1/requests/${newer.id}/response`, { method: "POST", auth: op.auth, body: { body: { a: 1 }, content_type: "text/plain" } }),
        "validation_failed",
        `/v1/requests/${newer.id}/response`,
      );
      await problem(
        await call(`/v1/requests/${newer.id}/response`, { method: "POST", auth: op.auth, body: { body: 1, content_type: "not a type" } }),
        "validation_failed",
        `/v1/requests/${newer.id}/response`,
      );

      // Reject.
      const rej = await call(`/v1/requests/${urgent.id}/reject`, { method: "POST", auth: op2.auth, body: { reason: "out of scope" } });
      expect(rej.status).toBe(201);
      expect(await rej.json()).toMatchObject({ status: "rejected", kind: "rejection", reason: "out of scope", answered_by: op2.user.id });
      expect((await masterOutbox(s, urgent.id)).map((r) => [r.kind, r.version, r.payload.status ?? r.payload.kind])).toEqual([
        ["request_status", 2, "rejected"],
        ["response", 1, "rejection"],
      ]);
      await problem(
        await call(`/v1/requests/${urgent.id}/response`, { method: "POST", auth: op.auth, body: { body: 1 } }),
        "request_not_answerable",
        `/v1/requests/${urgent.id}/response`,
      );
      await problem(
        await call(`/v1/requests/${urgent.id}/reject`, { method: "POST", auth: op.auth, body: { reason: "again" } }),
        "request_not_answerable",
        `/v1/requests/${urgent.id}/reject`,
      );
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
      await problem(
        await call(`/v1/requests/${json.id}/response`, { method: "POST", auth: op.auth, body: { body: 1 } }),
        "owned_by_other_network",
        `/v1/requests/${json.id}/response`,
      );
      await problem(
        await call(`/v1/requests/${json.id}/reject`, { method: "POST", auth: op.auth, body: { reason: "no" } }),
        "owned_by_other_network",
        `/v1/requests/${json.id}/reject`,
      );
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
