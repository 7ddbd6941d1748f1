// The importer's statement builders for requests, statuses and responses, on the runtime's real
// database (libSQL on Node, D1 inside workerd): set-based SQL, versions, no-ops, atomicity.
import { describe, expect, it } from "vitest";
import { and, asc, eq, inArray } from "drizzle-orm";
import { outbox, requestEvents, requests, responses } from "../../schema/index.ts";
import type { Services } from "../../src/services.ts";
import { applyRequestStatuses, applyRequests, applyResponses, markExported } from "../../src/requests/apply.ts";
import { jsonChunks } from "../../src/lib/chunks.ts";
import type { RequestStatusRecord, ResponseRecord } from "../../src/requests/records.ts";
import { requestRecordFor, run, seedReplicaRequest } from "../helpers/requests-fixtures.ts";

export interface ApplyHarness {
  runtime: "node" | "workerd";
  services(role: "request" | "response"): Promise<Services>;
}

const eventsOf = (s: Services, id: string) =>
  s.db.orm
    .select({ status: requestEvents.status, at: requestEvents.at, network: requestEvents.network, seq: requestEvents.batchSequence, detail: requestEvents.detail })
    .from(requestEvents)
    .where(eq(requestEvents.requestId, id))
    .orderBy(asc(requestEvents.id))
    .all();
const outboxOf = (s: Services, ids: string[]) =>
  s.db.orm
    .select()
    .from(outbox)
    .where(and(inArray(outbox.entityId, ids), eq(outbox.kind, "request_status")))
    .orderBy(asc(outbox.seq))
    .all();
const rowOf = async (s: Services, id: string) => (await s.db.orm.select().from(requests).where(eq(requests.id, id)).get())!;

export function requestsApplySuite(h: ApplyHarness) {
  describe(`applying requests, statuses and responses (${h.runtime})`, () => {
    const ctx = (batchSequence: number) => ({ batchSequence, receivedAt: `2026-01-02T00:00:0${batchSequence % 10}.000Z` });

    it("master: a new request becomes received, with the peer's events, ours, and a request_status record back", async () => {
      const s = await h.services("response");
      const rec = requestRecordFor({ priority: 3, api_key_id: "key_x" });
      await run(s, applyRequests(s, [rec], ctx(7)));
      const row = await rowOf(s, rec.id);
      expect(row).toMatchObject({
        userId: "usr_apply",
        apiKeyId: "key_x",
        topic: "weather",
        priority: 3,
        status: "received",
        replicaVersion: 1,
        masterVersion: 1,
        createdAt: rec.created_at,
        cancelledAt: null,
      });
      expect(JSON.parse(row.body)).toEqual(rec.body);
      const peer = s.config.peerNetworkId;
      const net = s.config.networkId;
      expect(await eventsOf(s, rec.id)).toEqual([
        { status: "submitted", at: rec.created_at, network: peer, seq: null, detail: null },
        { status: "exported", at: ctx(7).receivedAt, network: peer, seq: 7, detail: null },
        { status: "received", at: ctx(7).receivedAt, network: net, seq: 7, detail: null },
      ]);
      const out = await outboxOf(s, [rec.id]);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ kind: "request_status", entityId: rec.id, version: 1, batchSequence: null });
      expect(JSON.parse(out[0].payload)).toEqual({ id: rec.id, status: "received", version: 1, events: [{ status: "received", at: ctx(7).receivedAt }] });

      // The same record again, and an older one: no-ops.
      await run(s, applyRequests(s, [rec], ctx(8)));
      await run(s, applyRequests(s, [{ ...rec, topic: "older", version: 0 as never }].slice(0, 0), ctx(8)));
      expect(await rowOf(s, rec.id)).toEqual(row);
      expect(await outboxOf(s, [rec.id])).toHaveLength(1);
      expect(await eventsOf(s, rec.id)).toHaveLength(3);
    });

    it("master: a cancellation cancels an open request (claim dropped) and goes back; on an answered one it only updates the request's fields", async () => {
      const s = await h.services("response");
      const open = requestRecordFor();
      const answered = requestRecordFor();
      await run(s, applyRequests(s, [open, answered], ctx(1)));
      await s.db.orm
        .update(requests)
        .set({ claimedBy: "usr_op", claimExpiresAt: "2099-01-01T00:00:00.000Z", status: "processing", masterVersion: 2 })
        .where(eq(requests.id, open.id));
      await s.db.orm.update(requests).set({ status: "answered", masterVersion: 3 }).where(eq(requests.id, answered.id));
      const cancelledAt = "2026-01-01T00:05:00.000Z";
      await run(
        s,
        applyRequests(
          s,
          [
            { ...open, cancelled_at: cancelledAt, version: 2 },
            { ...answered, cancelled_at: cancelledAt, version: 2 },
          ],
          ctx(2),
        ),
      );

      expect(await rowOf(s, open.id)).toMatchObject({ status: "cancelled", cancelledAt, replicaVersion: 2, masterVersion: 3, claimedBy: null, claimExpiresAt: null });
      const ev = await eventsOf(s, open.id);
      expect(ev.slice(3)).toEqual([
        { status: "cancelled", at: cancelledAt, network: s.config.peerNetworkId, seq: null, detail: null },
        { status: "cancelled", at: ctx(2).receivedAt, network: s.config.networkId, seq: 2, detail: null },
      ]);
      const back = (await outboxOf(s, [open.id])).map((o) => JSON.parse(o.payload));
      expect(back.at(-1)).toEqual({ id: open.id, status: "cancelled", version: 3, events: [{ status: "cancelled", at: ctx(2).receivedAt }] });

      expect(await rowOf(s, answered.id)).toMatchObject({ status: "answered", cancelledAt, replicaVersion: 2, masterVersion: 3 });
      expect(await outboxOf(s, [answered.id])).toHaveLength(1); // only the first "received"
      expect((await eventsOf(s, answered.id)).map((e) => e.status)).toEqual(["submitted", "exported", "received"]);

      // Replaying the cancellation: nothing more.
      await run(s, applyRequests(s, [{ ...open, cancelled_at: cancelledAt, version: 2 }], ctx(3)));
      expect(await outboxOf(s, [open.id])).toHaveLength(2);
      expect(await eventsOf(s, open.id)).toHaveLength(5);
    });

    it("master: a request cancelled before it left arrives cancelled; versions of one request in one batch are merged", async () => {
      const s = await h.services("response");
      const rec = requestRecordFor();
      const cancelledAt = "2026-01-01T00:01:00.000Z";
      await run(s, applyRequests(s, [rec, { ...rec, cancelled_at: cancelledAt, version: 2 }], ctx(4)));
      expect(await rowOf(s, rec.id)).toMatchObject({ status: "cancelled", replicaVersion: 2, masterVersion: 1, cancelledAt });
      expect((await eventsOf(s, rec.id)).map((e) => [e.status, e.network === s.config.networkId ? "self" : "peer"])).toEqual([
        ["submitted", "peer"],
        ["exported", "peer"],
        ["received", "self"],
        ["cancelled", "peer"],
        ["cancelled", "self"],
      ]);
      const back = (await outboxOf(s, [rec.id])).map((o) => JSON.parse(o.payload));
      expect(back).toEqual([
        {
          id: rec.id,
          status: "cancelled",
          version: 1,
          events: [
            { status: "received", at: ctx(4).receivedAt },
            { status: "cancelled", at: ctx(4).receivedAt },
          ],
        },
      ]);
    });

    it("master: thousands of records in several JSON chunks, applied in one atomic batch; a failing batch applies nothing", async () => {
      const s = await h.services("response");
      const recs = Array.from({ length: 1500 }, (_, i) => requestRecordFor({ body: { i, pad: "x".repeat(900) } }));
      expect(jsonChunks(recs).length).toBeGreaterThan(2);
      const st = applyRequests(s, recs, ctx(5));
      await run(s, st);
      const ids = recs.map((r) => r.id);
      const got = await s.db.orm
        .select({ id: requests.id })
        .from(requests)
        .where(inArray(requests.id, ids.slice(0, 90)))
        .all();
      expect(got).toHaveLength(90);
      const n = await s.db.orm.all<{ n: number }>(
        (await import("drizzle-orm")).sql`SELECT count(*) AS n FROM outbox WHERE kind = 'request_status' AND entity_id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
      );
      expect(Number(n[0].n)).toBe(1500);

      // Atomic: a batch whose last statement fails leaves nothing of the others.
      const more = Array.from({ length: 50 }, () => requestRecordFor());
      const bad = [
        ...applyRequests(s, more, ctx(6)),
        s.db.orm.insert(requests).values({ id: ids[0], userId: "u", topic: "t", body: "{}", status: "received", createdAt: "x", updatedAt: "x" }),
      ];
      await expect(run(s, bad)).rejects.toThrow();
      expect(
        await s.db.orm
          .select({ id: requests.id })
          .from(requests)
          .where(
            inArray(
              requests.id,
              more.map((r) => r.id),
            ),
          )
          .all(),
      ).toEqual([]);
    });

    it("replica: statuses apply only when newer; events carry the batch; a local cancellation holds until the master answers", async () => {
      const s = await h.services("request");
      const a = await seedReplicaRequest(s);
      const b = await seedReplicaRequest(s, { status: "cancelled", cancelledAt: "2026-01-01T00:00:30.000Z", replicaVersion: 2 });
      const st = (id: string, status: RequestStatusRecord["status"], version: number, at: string, detail?: string): RequestStatusRecord => ({
        id,
        status,
        version,
        events: [{ status, at, ...(detail ? { detail } : {}) }],
      });
      await run(s, applyRequestStatuses(s, [st(a.id, "received", 1, "2026-01-01T00:01:00.000Z"), st(b.id, "received", 1, "2026-01-01T00:01:00.000Z")], ctx(11)));
      expect(await rowOf(s, a.id)).toMatchObject({ status: "received", masterVersion: 1 });
      expect(await rowOf(s, b.id)).toMatchObject({ status: "cancelled", masterVersion: 1 }); // still cancelled here
      expect(await eventsOf(s, a.id)).toEqual([{ status: "received", at: "2026-01-01T00:01:00.000Z", network: s.config.peerNetworkId, seq: 11, detail: null }]);

      // processing (v2) and answered (v3) in one batch: both events kept, the newest status wins.
      await run(s, applyRequestStatuses(s, [st(a.id, "answered", 3, "2026-01-01T00:03:00.000Z"), st(a.id, "processing", 2, "2026-01-01T00:02:00.000Z")], ctx(12)));
      expect(await rowOf(s, a.id)).toMatchObject({ status: "answered", masterVersion: 3, answeredAt: "2026-01-01T00:03:00.000Z" });
      expect((await eventsOf(s, a.id)).map((e) => [e.status, e.seq])).toEqual([
        ["received", 11],
        ["processing", 12],
        ["answered", 12],
      ]);
      // Older or equal: nothing.
      await run(s, applyRequestStatuses(s, [st(a.id, "processing", 2, "2026-01-01T00:09:00.000Z"), st(a.id, "answered", 3, "2026-01-01T00:09:00.000Z")], ctx(13)));
      expect(await rowOf(s, a.id)).toMatchObject({ status: "answered", masterVersion: 3, answeredAt: "2026-01-01T00:03:00.000Z" });
      expect(await eventsOf(s, a.id)).toHaveLength(3);
      // The master's word on the cancelled one.
      await run(s, applyRequestStatuses(s, [st(b.id, "rejected", 2, "2026-01-01T00:04:00.000Z", "out of scope")], ctx(13)));
      expect(await rowOf(s, b.id)).toMatchObject({ status: "rejected", masterVersion: 2 });
      expect((await eventsOf(s, b.id)).at(-1)).toEqual({ status: "rejected", at: "2026-01-01T00:04:00.000Z", network: s.config.peerNetworkId, seq: 13, detail: "out of scope" });
      // A status for a request this network does not have changes nothing.
      await run(s, applyRequestStatuses(s, [st("req_unknown", "received", 1, "2026-01-01T00:01:00.000Z")], ctx(14)));
      expect(await s.db.orm.select().from(requests).where(eq(requests.id, "req_unknown")).all()).toEqual([]);
    });

    it("replica: responses apply when newer with the delivering sequence; corrections update; JSON text survives", async () => {
      const s = await h.services("request");
      const a = await seedReplicaRequest(s);
      const resp = (o: Partial<ResponseRecord> = {}): ResponseRecord => ({
        request_id: a.id,
        kind: "answer",
        body: JSON.stringify({ answer: "sunny", list: [1, "2"] }),
        content_type: "application/json",
        reason: null,
        answered_by: "usr_op",
        answered_at: "2026-01-01T00:03:00.000Z",
        version: 1,
        ...o,
      });
      await run(s, applyResponses(s, [resp()], ctx(21)));
      const stored = await s.db.orm.select().from(responses).where(eq(responses.requestId, a.id)).get();
      expect(stored).toMatchObject({ kind: "answer", contentType: "application/json", version: 1, deliveredSequence: 21, answeredBy: "usr_op" });
      expect(JSON.parse(stored!.body!)).toEqual({ answer: "sunny", list: [1, "2"] });
      expect(await eventsOf(s, a.id)).toEqual([{ status: "available", at: ctx(21).receivedAt, network: s.config.networkId, seq: 21, detail: "response version 1" }]);

      await run(s, applyResponses(s, [resp({ body: "stale", version: 1 })], ctx(22)));
      expect((await s.db.orm.select().from(responses).where(eq(responses.requestId, a.id)).get())!.deliveredSequence).toBe(21);

      await run(s, applyResponses(s, [resp({ body: "plain text: 42", content_type: "text/plain", version: 2 })], ctx(23)));
      expect(await s.db.orm.select().from(responses).where(eq(responses.requestId, a.id)).get()).toMatchObject({
        body: "plain text: 42",
        contentType: "text/plain",
        version: 2,
        deliveredSequence: 23,
      });
      expect((await eventsOf(s, a.id)).map((e) => [e.status, e.seq, e.detail])).toEqual([
        ["available", 21, "response version 1"],
        ["response_updated", 23, "response version 2"],
      ]);
    });

    it("replica: markExported moves submitted requests to exported once, with the batch", async () => {
      const s = await h.services("request");
      const a = await seedReplicaRequest(s);
      const b = await seedReplicaRequest(s, { status: "cancelled", cancelledAt: s.clock.now().toISOString() });
      await run(s, markExported(s, [a.id, b.id, a.id], 31));
      await run(s, markExported(s, [a.id], 32)); // resent in a later batch
      expect((await rowOf(s, a.id)).status).toBe("exported");
      expect((await rowOf(s, b.id)).status).toBe("cancelled");
      expect((await eventsOf(s, a.id)).map((e) => [e.status, e.seq, e.network])).toEqual([["exported", 31, s.config.networkId]]);
      expect((await eventsOf(s, b.id)).map((e) => [e.status, e.seq])).toEqual([["exported", 31]]);
    });

    it("refuses to run on the wrong network", async () => {
      const s = await h.services("request");
      expect(() => applyRequests(s, [requestRecordFor()], ctx(1))).toThrow(/response network/);
      const m = await h.services("response");
      expect(() => applyResponses(m, [], ctx(1))).toThrow(/request network/);
    });
  });
}
