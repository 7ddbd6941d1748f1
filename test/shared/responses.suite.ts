// Reading a request's response: pending, answered (ETag, 304, cache miss then hit, a newer version),
// rejected; and the estimate a pending request gets.
// On Node (libSQL) and inside workerd (D1), the response cache on real Redis behind the
// Upstash-compatible endpoint; the entry files are test/node/responses.test.ts and test/workers/responses.test.ts.
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { requests } from "../../schema/index.ts";
import { entryKey, userIndexKey } from "../../src/requests/response-cache.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

export function responsesSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);

  describe(`requests and responses (${h.runtime}, upstash cache)`, () => {
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
      expect(body).toEqual({
        request_id: json.id,
        kind: "answer",
        content_type: "application/json",
        body: { answer: "sunny", seq: 10 },
        answered_at: expect.any(String),
        version: 1,
        delivered_sequence: 10,
      });
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
        await s.db.orm
          .update(requests)
          .set({ createdAt: new Date(s.clock.now().getTime() - minutes * 60_000).toISOString() })
          .where(eq(requests.id, json.id));
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
  });
}
