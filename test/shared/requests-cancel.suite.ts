// Cancelling a request until it is answered, and the change travelling to the master.
// On Node (libSQL) and inside workerd (D1), the response cache on real Redis behind the
// Upstash-compatible endpoint; the entry files are test/node/requests-cancel.test.ts and test/workers/requests-cancel.test.ts.
import { describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { outbox } from "../../schema/index.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

export function requestsCancelSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);

  describe(`requests and responses (${h.runtime}, upstash cache)`, () => {
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
  });
}
