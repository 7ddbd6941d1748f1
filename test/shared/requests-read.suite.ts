// Reading requests: someone else's is not found (never forbidden), operators and admins read all;
// the list with its filters and cursor pagination.
// On Node (libSQL) and inside workerd (D1), the response cache on real Redis behind the
// Upstash-compatible endpoint; the entry files are test/node/requests-read.test.ts and test/workers/requests-read.test.ts.
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { requests } from "../../schema/index.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

export function requestsReadSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);

  describe(`requests and responses (${h.runtime}, upstash cache)`, () => {
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
  });
}
