// The whole loop, both networks as real HTTP servers on 127.0.0.1, the courier being the
// ferry library (the same code as `npm run ferry` and the automatic ferry of `npm start`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { startNodeServer, type RunningServer } from "../../src/runtime/node-server.ts";
import { TransferClient } from "../../src/transfer/ferry/client.ts";
import { carry } from "../../src/transfer/ferry/carry.ts";
import { NodeBatchFolder } from "../../src/runtime/node/batch-folder.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { TEST_ENV, tempDir } from "../helpers/node-app.ts";
import { transferEnv } from "../helpers/keys.ts";
import { fetchJson, type Json } from "../helpers/http.ts";

const ADMIN = { email: "root@example.com", password: "root password, long enough" };

describe("end to end over HTTP (Node): user → request → batch → master → answer → batch → response", () => {
  let master: RunningServer;
  let replica: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    const common = { ...TEST_ENV, AIRLOCK_MAX_BODY_BYTES: "1048576", PORT: "0" };
    master = await startNodeServer(
      {
        ...common,
        ...(await transferEnv("response")),
        NETWORK_ROLE: "response",
        AIRLOCK_DATA_DIR: join(dir, "m"),
        AIRLOCK_ADMIN_EMAIL: ADMIN.email,
        AIRLOCK_ADMIN_PASSWORD: ADMIN.password,
      },
      { scheduler: false, logger: new MemoryLogger() },
    );
    replica = await startNodeServer(
      { ...common, ...(await transferEnv("request")), NETWORK_ROLE: "request", AIRLOCK_DATA_DIR: join(dir, "r") },
      { scheduler: false, logger: new MemoryLogger() },
    );
  }, 60_000);
  afterAll(async () => {
    await replica?.close();
    await master?.close();
  });

  const http = fetchJson;
  const login = async (base: string, email: string, password: string) =>
    (await http(base, "/v1/auth/token", { method: "POST", body: { email, password } })).body.access_token as string;
  /** One courier trip: export on `from` (as the courier), then carry its unacknowledged batches to `to`. */
  const trip = async (from: RunningServer, to: RunningServer, name: string) => {
    const client = (s: RunningServer) => new TransferClient({ url: s.url, token: TEST_ENV.AIRLOCK_COURIER_TOKEN }, { retry: { attempts: 1 } });
    await client(from).triggerExport();
    const summary = await carry({ source: client(from), destination: client(to), folder: new NodeBatchFolder(join(dir, `ferry-${name}`), { create: true }) });
    expect(summary.ok).toBe(true);
    return summary.push.files.map((f) => f.status);
  };

  it("completes the loop, with cache invalidation on a new version and lockout after disabling", async () => {
    const M = master.url;
    const R = replica.url;
    // 1. The admin creates a user and an operator on the master.
    const admin = await login(M, ADMIN.email, ADMIN.password);
    const alice = (
      await http(M, "/v1/admin/users", { method: "POST", token: admin, body: { email: "alice@example.com", name: "Alice", role: "user", password: "alice password long" } })
    ).body;
    await http(M, "/v1/admin/users", { method: "POST", token: admin, body: { email: "olga@example.com", name: "Olga", role: "operator", password: "olga password long" } });
    expect(await login(R, "alice@example.com", "alice password long")).toBeUndefined(); // not there yet

    // 2. A batch carries them to the replica; Alice logs in there and submits a request.
    expect(await trip(master, replica, "m2r")).toContain("applied");
    const aliceToken = await login(R, "alice@example.com", "alice password long");
    expect(aliceToken).toEqual(expect.any(String));
    const submitted = await http(R, "/v1/requests", {
      method: "POST",
      token: aliceToken,
      body: { topic: "weather", body: { city: "Oslo" } },
      headers: { "Idempotency-Key": "e2e-1" },
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    const pending = await http(R, `/v1/requests/${id}/response`, { token: aliceToken });
    expect(pending.status).toBe(409);
    expect(pending.body).toMatchObject({ code: "response_pending", request_status: "submitted" });

    // 3. To the master; the operator sees it in the queue, claims it and answers.
    expect(await trip(replica, master, "r2m")).toContain("applied");
    const olga = await login(M, "olga@example.com", "olga password long");
    const queue = await http(M, "/v1/queue", { token: olga });
    expect(queue.body.items.map((i: Json) => i.id)).toContain(id);
    expect((await http(M, `/v1/queue/${id}/claim`, { method: "POST", token: olga })).status).toBe(200);
    expect((await http(M, `/v1/requests/${id}/response`, { method: "POST", token: olga, body: { body: { forecast: "rain" } } })).status).toBe(201);

    // 4. Back to the replica: the response is available; first read misses the cache, the second hits.
    expect(await trip(master, replica, "m2r")).toContain("applied");
    const first = await http(R, `/v1/requests/${id}/response`, { token: aliceToken });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ request_id: id, body: { forecast: "rain" } });
    expect(first.headers.get("x-cache")).toBe("miss");
    const etag1 = first.headers.get("etag")!;
    const second = await http(R, `/v1/requests/${id}/response`, { token: aliceToken });
    expect(second.headers.get("x-cache")).toBe("hit");
    expect(second.headers.get("etag")).toBe(etag1);
    expect((await fetch(`${R}/v1/requests/${id}/response`, { headers: { authorization: `Bearer ${aliceToken}`, "if-none-match": etag1 } })).status).toBe(304);
    const timeline = (await http(R, `/v1/requests/${id}`, { token: aliceToken })).body;
    expect(timeline.timeline.map((e: Json) => e.status)).toEqual(expect.arrayContaining(["submitted", "exported", "received", "answered"]));
    expect(timeline.timeline.find((e: Json) => e.status === "exported").batch_sequence).toEqual(expect.any(Number));

    // 5. The operator corrects the answer: a new version crosses, the cache entry is invalidated and re-filled.
    expect((await http(M, `/v1/requests/${id}/response`, { method: "POST", token: olga, body: { body: { forecast: "snow" } } })).status).toBe(201);
    expect(await trip(master, replica, "m2r")).toContain("applied");
    const corrected = await http(R, `/v1/requests/${id}/response`, { token: aliceToken });
    expect(corrected.body).toMatchObject({ body: { forecast: "snow" } });
    expect(corrected.headers.get("x-cache")).toBe("miss");
    expect(corrected.headers.get("etag")).not.toBe(etag1);
    expect((await http(R, `/v1/requests/${id}/response`, { token: aliceToken })).headers.get("x-cache")).toBe("hit");
    // The same Idempotency-Key still answers the original submission.
    const again = await http(R, "/v1/requests", { method: "POST", token: aliceToken, body: { topic: "weather", body: { city: "Oslo" } }, headers: { "Idempotency-Key": "e2e-1" } });
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(again.body.id).toBe(id);

    // 6. Disabling Alice on the master locks her out on the replica after the next batch.
    await http(M, `/v1/admin/users/${alice.id}`, { method: "DELETE", token: admin });
    await trip(master, replica, "m2r");
    expect((await http(R, "/v1/me", { token: aliceToken })).status).toBe(401);
    expect((await http(R, "/v1/auth/token", { method: "POST", body: { email: "alice@example.com", password: "alice password long" } })).body.code).toBe("account_disabled");

    // Both directions acknowledged what they received; no batch was quarantined.
    await trip(replica, master, "r2m");
    for (const s of [master, replica]) {
      const st = (await http(s.url, "/v1/transfer/status", { token: TEST_ENV.AIRLOCK_COURIER_TOKEN })).body;
      expect(st.incoming.quarantined).toBe(0);
      expect(st.incoming.gaps).toEqual([]);
    }
    const mStatus = (await http(M, "/v1/transfer/status", { token: TEST_ENV.AIRLOCK_COURIER_TOKEN })).body;
    expect(mStatus.outgoing.last_acknowledged).toBe(mStatus.outgoing.last_exported);
  }, 120_000);
});
