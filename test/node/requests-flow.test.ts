// The whole flow through the app factory of both roles: two services objects, two libSQL files,
// the request network's cache on real Redis behind the Upstash-compatible endpoint. The courier
// and the importer are played by moving outbox records and calling the apply functions the
// transfer's importer calls (one atomic db.batch per "batch", then afterApply).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, inArray, isNull } from "drizzle-orm";
import { outbox, users } from "../../schema/index.ts";
import type { Services } from "../../src/services.ts";
import type { AirlockApp } from "../../src/app.ts";
import type { Statement } from "../../src/deps/db/database.ts";
import { afterApply, applyRequestStatuses, applyRequests, applyResponses, markExported } from "../../src/requests/apply.ts";
import { startSession } from "../../src/identity/sessions.ts";
import { nodeApp } from "../helpers/node-app.ts";
import { seedSession, seedUser } from "../helpers/identity-fixtures.ts";
import { deleteKeysWithPrefix, getRedisUrl, startUpstashEndpoint, type RedisHandle, type UpstashEndpointHandle } from "../helpers/redis.ts";

let redis: RedisHandle;
let endpoint: UpstashEndpointHandle;
const networkIds: string[] = [];

beforeAll(async () => {
  redis = await getRedisUrl();
  endpoint = await startUpstashEndpoint(redis.url);
});
afterAll(async () => {
  for (const id of networkIds) await deleteKeysWithPrefix(redis.url, `airlock:${id}:`);
  await endpoint?.close();
  await redis?.stop();
});

type Json = Record<string, any>;

/** Both networks, each with its own database file; the request network's cache on Redis. */
async function networks() {
  const suffix = crypto.randomUUID().slice(0, 8);
  const ids = { request: `airlock-request-${suffix}`, response: `airlock-response-${suffix}` };
  networkIds.push(ids.request, ids.response);
  const common = { AIRLOCK_CACHE_TIMEOUT_MS: "2000", AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "2000" };
  const replica = await nodeApp({
    ...common,
    NETWORK_ROLE: "request",
    AIRLOCK_NETWORK_ID: ids.request,
    AIRLOCK_PEER_NETWORK_ID: ids.response,
    UPSTASH_REDIS_REST_URL: endpoint.url,
    UPSTASH_REDIS_REST_TOKEN: endpoint.token,
  });
  const master = await nodeApp({ ...common, NETWORK_ROLE: "response", AIRLOCK_NETWORK_ID: ids.response, AIRLOCK_PEER_NETWORK_ID: ids.request });
  return { replica, master };
}

function caller(app: AirlockApp) {
  return (path: string, init: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.auth) headers.authorization = init.auth;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    return app.request(path, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }, {});
  };
}

/**
 * Plays courier and importer for one batch: the sender's pending outbox records (of the kinds
 * this flow owns) are applied on the receiver in ONE atomic batch, then marked as carried.
 */
async function carry(from: Services, to: Services, sequence: number) {
  const pending = await from.db.orm
    .select()
    .from(outbox)
    .where(and(isNull(outbox.batchSequence), inArray(outbox.kind, ["request", "request_status", "response"])))
    .orderBy(asc(outbox.seq))
    .all();
  const of = (kind: string) => pending.filter((r) => r.kind === kind).map((r) => JSON.parse(r.payload) as Record<string, unknown>);
  // Export: the records are marked with their batch (and, on the request network, the requests as exported).
  const sent: Statement[] = [
    from.db.orm
      .update(outbox)
      .set({ batchSequence: sequence })
      .where(
        inArray(
          outbox.seq,
          pending.map((p) => p.seq),
        ),
      ),
  ];
  if (from.config.role === "request")
    sent.push(
      ...markExported(
        from,
        of("request").map((r) => r.id as string),
        sequence,
      ),
    );
  await from.db.batch(sent as [Statement, ...Statement[]]);
  // Import: the whole batch in one atomic db.batch, then the post-commit work.
  const ctx = { batchSequence: sequence, receivedAt: to.clock.now().toISOString() };
  const statements: Statement[] =
    to.config.role === "response"
      ? applyRequests(to, of("request") as never, ctx)
      : [...applyRequestStatuses(to, of("request_status") as never, ctx), ...applyResponses(to, of("response") as never, ctx)];
  if (statements.length) await to.db.batch(statements as [Statement, ...Statement[]]);
  await afterApply(
    to,
    pending.map((p) => ({ kind: p.kind, data: JSON.parse(p.payload) })),
  );
  return pending.map((p) => `${p.kind}:v${p.version}`);
}

describe("the whole flow through both networks (Node, two libSQL files, Redis)", () => {
  it("submit → batch → master → claim and answer → batch → replica → read (miss, then hit); a correction changes the ETag", async () => {
    const { replica, master } = await networks();
    const r = caller(replica.app);
    const m = caller(master.app);

    // The user exists on the master and arrives on the replica (what a user record import does).
    const user = await seedUser(master.services);
    await replica.services.db.orm.insert(users).values(user);
    const userAuth = `Bearer ${(await startSession(replica.services, user)).access_token}`;
    const operator = await seedSession(master.services, { role: "operator" });

    // 1. Submit on the request network.
    const submitted = await r("/v1/requests", {
      method: "POST",
      auth: userAuth,
      body: { topic: "weather", body: { city: "Lyon", day: "tomorrow" }, priority: 2 },
      headers: { "Idempotency-Key": '"flow-1"' },
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as Json;
    await expect((await r(`/v1/requests/${id}/response`, { auth: userAuth })).json()).resolves.toMatchObject({ code: "response_pending", request_status: "submitted" });

    // 2. Batch 1 (request network → master).
    expect(await carry(replica.services, master.services, 1)).toEqual(["request:v1"]);
    expect(((await (await r(`/v1/requests/${id}`, { auth: userAuth })).json()) as Json).status).toBe("exported");

    // 3. The operator sees it in the queue, claims it and answers.
    const queue = (await (await m("/v1/queue", { auth: operator.auth })).json()) as Json;
    expect(queue.items.map((i: Json) => [i.id, i.status, i.priority, i.body])).toEqual([[id, "received", 2, { city: "Lyon", day: "tomorrow" }]]);
    expect((await m(`/v1/queue/${id}/claim`, { method: "POST", auth: operator.auth })).status).toBe(200);
    const answered = await m(`/v1/requests/${id}/response`, { method: "POST", auth: operator.auth, body: { body: { forecast: "sunny", high: 21 } } });
    expect(answered.status).toBe(201);

    // 4. Batch 1 (master → request network): received, processing, answered, and the response.
    expect(await carry(master.services, replica.services, 1)).toEqual(["request_status:v1", "request_status:v2", "request_status:v3", "response:v1"]);

    // 5. The user reads it: miss, then hit.
    const path = `/v1/requests/${id}/response`;
    const first = await r(path, { auth: userAuth });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("miss");
    expect(first.headers.get("etag")).toBe('"v1.s1"');
    expect(await first.json()).toMatchObject({
      request_id: id,
      kind: "answer",
      content_type: "application/json",
      body: { forecast: "sunny", high: 21 },
      version: 1,
      delivered_sequence: 1,
    });
    const second = await r(path, { auth: userAuth });
    expect(second.headers.get("x-cache")).toBe("hit");
    expect((await r(path, { auth: userAuth, headers: { "If-None-Match": '"v1.s1"' } })).status).toBe(304);

    const request = (await (await r(`/v1/requests/${id}`, { auth: userAuth })).json()) as Json;
    expect(request).toMatchObject({ status: "answered", answered_at: expect.any(String), estimated_answer_at: null });
    const ids = { replica: replica.services.config.networkId, master: master.services.config.networkId };
    expect(request.timeline.map((e: Json) => [e.status, e.network, e.batch_sequence])).toEqual([
      ["submitted", ids.replica, null],
      ["exported", ids.replica, 1],
      ["received", ids.master, 1],
      ["processing", ids.master, 1],
      ["answered", ids.master, 1],
      ["available", ids.replica, 1],
    ]);

    // 6. The operator corrects the answer; batch 2 carries version 2; the ETag changes and the cache is refilled.
    expect((await m(`/v1/requests/${id}/response`, { method: "POST", auth: operator.auth, body: { body: "Sunny, 21 °C", content_type: "text/plain" } })).status).toBe(201);
    expect(await carry(master.services, replica.services, 2)).toEqual(["response:v2"]);
    const corrected = await r(path, { auth: userAuth, headers: { "If-None-Match": '"v1.s1"' } });
    expect(corrected.status).toBe(200);
    expect(corrected.headers.get("etag")).toBe('"v2.s2"');
    expect(corrected.headers.get("x-cache")).toBe("miss");
    expect(await corrected.json()).toMatchObject({ content_type: "text/plain", body: "Sunny, 21 °C", version: 2, delivered_sequence: 2 });
    expect((await r(path, { auth: userAuth })).headers.get("x-cache")).toBe("hit");

    // 7. Re-applying an old batch changes nothing (the importer's replay protection aside, versions hold).
    const again = applyResponses(
      replica.services,
      [{ request_id: id, kind: "answer", body: "{}", content_type: "application/json", reason: null, answered_by: null, answered_at: "2026-01-01T00:00:00.000Z", version: 1 }],
      { batchSequence: 3, receivedAt: "2026-01-01T00:00:00.000Z" },
    );
    await replica.services.db.batch(again as [Statement, ...Statement[]]);
    expect((await r(path, { auth: userAuth })).headers.get("etag")).toBe('"v2.s2"');

    // Admin statistics on both sides see the answer.
    const adminR = await seedSession(replica.services, { role: "admin" });
    const stats = (await (await r("/v1/admin/stats", { auth: adminR.auth })).json()) as Json;
    expect(stats.by_status.answered).toBe(1);
    expect(stats.delivery_latency_seconds.count).toBe(1);
    const cache = (await (await r("/v1/admin/cache/stats", { auth: adminR.auth })).json()) as Json;
    expect(cache).toMatchObject({ store: "upstash", reads: 5, misses: 2, hits: 3, stale: 0, hit_ratio: 0.6, errors: 0 });
  });

  it("a cancellation crosses before the answer: the master stops, the operator cannot answer, the user sees cancelled", async () => {
    const { replica, master } = await networks();
    const r = caller(replica.app);
    const m = caller(master.app);
    const user = await seedUser(master.services);
    await replica.services.db.orm.insert(users).values(user);
    const userAuth = `Bearer ${(await startSession(replica.services, user)).access_token}`;
    const operator = await seedSession(master.services, { role: "operator" });

    const { id } = (await (await r("/v1/requests", { method: "POST", auth: userAuth, body: { topic: "t", body: 1 } })).json()) as Json;
    await carry(replica.services, master.services, 1);
    expect((await r(`/v1/requests/${id}/cancel`, { method: "POST", auth: userAuth })).status).toBe(200);
    expect(await carry(replica.services, master.services, 2)).toEqual(["request:v2"]);
    const p = (await (await m(`/v1/requests/${id}/response`, { method: "POST", auth: operator.auth, body: { body: 1 } })).json()) as Json;
    expect(p).toMatchObject({ code: "request_not_answerable", request_status: "cancelled" });
    expect(await carry(master.services, replica.services, 1)).toEqual(["request_status:v1", "request_status:v2"]);
    const got = (await (await r(`/v1/requests/${id}`, { auth: userAuth })).json()) as Json;
    expect(got.status).toBe("cancelled");
    expect(got.timeline.map((e: Json) => [e.status, e.network === replica.services.config.networkId ? "replica" : "master"])).toEqual([
      ["submitted", "replica"],
      ["exported", "replica"],
      ["received", "master"],
      ["cancelled", "replica"],
      ["cancelled", "master"],
    ]);
  });
});
