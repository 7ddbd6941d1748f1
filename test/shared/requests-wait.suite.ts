// Waiting reads: GET /v1/requests/{id}/response?wait=N is held until the answer arrives or N
// seconds pass, bounded per identity. On Node (libSQL) and inside workerd (D1); the entry files
// are test/node/requests-wait.test.ts and test/workers/requests-wait.test.ts.
import { describe, expect, it } from "vitest";
import { waitGate } from "../../src/requests/wait.ts";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Until `ok()` holds (the waits have taken their slots), at most 5 s. */
async function until(ok: () => boolean) {
  for (let i = 0; i < 100 && !ok(); i++) await sleep(50);
  expect(ok()).toBe(true);
}

export function requestsWaitSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);
  const timed = async (p: Response | Promise<Response>) => ({ res: await p, at: Date.now() });

  describe(`waiting reads (${h.runtime})`, () => {
    it("a waiting read answers within 1 s of the import that delivers the answer", async () => {
      const { call, session, submit, deliver } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      const started = Date.now();
      const read = timed(call(`/v1/requests/${json.id}/response?wait=10`, { auth: me.auth }));
      await sleep(700);
      await deliver(json.id, 7);
      const delivered = Date.now();
      const { res, at } = await read;
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ request_id: json.id, body: { answer: "sunny", seq: 7 } });
      expect(res.headers.get("etag")).toBe('"v1.s7"');
      expect(delivered - started).toBeGreaterThanOrEqual(650); // it was held, not answered at once
      console.log(`${h.runtime}: answer ${at - delivered} ms after the import (woken in process)`);
      expect(at - delivered).toBeLessThan(1000);
    });

    it("an import by another process or isolate (no wake here) is found by polling within 1 s", async () => {
      const { call, session, submit, deliver } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      const read = timed(call(`/v1/requests/${json.id}/response?wait=10`, { auth: me.auth }));
      await sleep(500);
      await deliver(json.id, 8, { elsewhere: true });
      const delivered = Date.now();
      const { res, at } = await read;
      expect(res.status).toBe(200);
      expect(((await res.json()) as Json).body).toEqual({ answer: "sunny", seq: 8 });
      console.log(`${h.runtime}: answer ${at - delivered} ms after the import (polling)`);
      expect(at - delivered).toBeLessThan(1000);
    });

    it("wait=1 on an unanswered request: the pending problem after about 1 s; a rejection ends a wait as a rejection", async () => {
      const { call, session, submit, deliver } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      const path = `/v1/requests/${json.id}/response`;
      const started = Date.now();
      const res = await call(`${path}?wait=1`, { auth: me.auth });
      const took = Date.now() - started;
      const body = await problem(res, "response_pending", path);
      expect(body.request_status).toBe("submitted");
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(took).toBeGreaterThanOrEqual(950);
      expect(took).toBeLessThan(2500);
      // wait=0 (and no wait) answer at once, as before.
      const now = Date.now();
      await problem(await call(`${path}?wait=0`, { auth: me.auth }), "response_pending", path);
      expect(Date.now() - now).toBeLessThan(900);

      const rejected = timed(call(`${path}?wait=10`, { auth: me.auth }));
      await sleep(300);
      await deliver(json.id, 9, { status: "rejected" });
      const delivered = Date.now();
      const r = await rejected;
      await problem(r.res, "request_rejected", path);
      expect(r.at - delivered).toBeLessThan(1000);
    });

    it("an answer already there is read at once, with the same ETag and 304 as without wait", async () => {
      const { call, session, submit, deliver } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      await deliver(json.id, 3);
      const path = `/v1/requests/${json.id}/response`;
      const plain = await call(path, { auth: me.auth });
      const etag = plain.headers.get("etag")!;
      const started = Date.now();
      const waited = await call(`${path}?wait=30`, { auth: me.auth });
      expect(waited.status).toBe(200);
      expect(waited.headers.get("etag")).toBe(etag);
      expect(await waited.json()).toEqual(await plain.json());
      const same = await call(`${path}?wait=30`, { auth: me.auth, headers: { "if-none-match": etag } });
      expect(same.status).toBe(304);
      expect(same.headers.get("etag")).toBe(etag);
      expect(Date.now() - started).toBeLessThan(900);
    });

    it("at most 5 waits per identity: the next is 429 too_many_waits with Retry-After; others still wait; a client that leaves frees its slot", async () => {
      const { call, session, submit } = await setup();
      const me = await session();
      const other = await session();
      const { json } = await submit(me.auth);
      const theirs = (await submit(other.auth)).json;
      const path = `/v1/requests/${json.id}/response`;
      const base = waitGate.inFlight;
      const leaving = Array.from({ length: 5 }, () => new AbortController());
      const held = leaving.map((ctl) => call(`${path}?wait=30`, { auth: me.auth, signal: ctl.signal }));
      await until(() => waitGate.inFlight === base + 5);

      const refused = await call(`${path}?wait=30`, { auth: me.auth });
      const body = await problem(refused, "too_many_waits", path);
      expect(body.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("5");
      // Without wait the same identity still reads as before.
      await problem(await call(path, { auth: me.auth }), "response_pending", path);
      // Another identity has slots of its own.
      await problem(await call(`/v1/requests/${theirs.id}/response?wait=1`, { auth: other.auth }), "response_pending", `/v1/requests/${theirs.id}/response`);

      // One client goes away: its wait ends (answered as pending) and the slot is free again.
      leaving[0].abort();
      const gone = await held[0];
      expect(gone.status).toBe(409);
      expect(waitGate.inFlight).toBe(base + 4);
      const started = Date.now();
      await problem(await call(`${path}?wait=1`, { auth: me.auth }), "response_pending", path);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);

      for (const ctl of leaving) ctl.abort();
      for (const r of await Promise.all(held)) expect(r.status).toBe(409);
      expect(waitGate.inFlight).toBe(base);
    });

    it("the rate limiter counts a waiting read once, not once per look", async () => {
      const { call, session, submit } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      const path = `/v1/requests/${json.id}/response`;
      const remaining = (res: Response) => {
        const m = /^"([^"]+)";r=(\d+);/.exec(res.headers.get("ratelimit") ?? "");
        expect(m, "RateLimit header").not.toBeNull();
        return { window: m![1], r: Number(m![2]) };
      };
      // A limiter window may end during the 2 s wait; then the three calls are measured again in the next one.
      for (let attempt = 1; ; attempt++) {
        const before = remaining(await call(path, { auth: me.auth }));
        remaining(await call(`${path}?wait=2`, { auth: me.auth })); // about 8 looks at the state row
        const after = remaining(await call(path, { auth: me.auth }));
        if ((after.window !== before.window || after.r > before.r) && attempt < 3) continue;
        expect(after.window).toBe(before.window);
        expect(before.r - after.r).toBe(2);
        break;
      }
    });

    it("wait must be a whole number of seconds from 0 to 60: anything else is the 400 validation problem", async () => {
      const { call, session, submit } = await setup();
      const me = await session();
      const { json } = await submit(me.auth);
      const path = `/v1/requests/${json.id}/response`;
      for (const bad of ["61", "-1", "1.5", "soon", "1e9"]) {
        const body = await problem(await call(`${path}?wait=${bad}`, { auth: me.auth }), "validation_failed", path);
        expect(JSON.stringify(body.errors), bad).toContain("wait");
      }
    });
  });
}
