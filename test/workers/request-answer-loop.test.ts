// The whole loop with the request network INSIDE workerd (real D1 and R2) and the master
// as a real Node HTTP server; the courier is the ferry library, running in workerd too.
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import { TransferClient } from "../../src/transfer/ferry/client.ts";
import { carry } from "../../src/transfer/ferry/carry.ts";
import { MemoryBatchFolder } from "../../src/transfer/ferry/folder.ts";
import { sendJson, type JsonInit } from "../helpers/http.ts";

const WORKER_URL = "http://worker.test";

describe("end to end: request network in workerd, master on Node", () => {
  it("user → request → batch → master → answer → batch → response (miss, hit) → disable → lockout", async () => {
    const master = inject("e2eMaster");
    const { app, services } = await servicesFor(env as unknown as WorkerEnv);
    // The Worker is reached in-process; the master over HTTP on 127.0.0.1.
    const workerFetch = ((input: RequestInfo | URL, init?: RequestInit) => app.request(String(input).replace(WORKER_URL, ""), init, env)) as typeof fetch;
    const worker = new TransferClient({ url: WORKER_URL, token: services.config.courierToken! }, { fetch: workerFetch, retry: { attempts: 1 } });
    const m = new TransferClient({ url: master.url, token: master.courierToken }, { retry: { attempts: 1 } });
    const trip = async (from: TransferClient, to: TransferClient) => {
      await from.triggerExport();
      const s = await carry({ source: from, destination: to, folder: new MemoryBatchFolder() });
      expect(s.ok).toBe(true);
      return s.push.files.map((f) => f.status);
    };
    const call = (base: "m" | "w", path: string, init: JsonInit = {}) => sendJson((p, i) => (base === "m" ? fetch(master.url + p, i) : app.request(p, i, env)), path, init);
    const login = async (base: "m" | "w", email: string, password: string) =>
      (await call(base, "/v1/auth/token", { method: "POST", body: { email, password } })).body.access_token as string;

    const admin = await login("m", master.admin.email, master.admin.password);
    const user = (
      await call("m", "/v1/admin/users", { method: "POST", token: admin, body: { email: "wanda@example.com", name: "Wanda", role: "user", password: "wanda password long" } })
    ).body;
    await call("m", "/v1/admin/users", { method: "POST", token: admin, body: { email: "oscar@example.com", name: "Oscar", role: "operator", password: "oscar password long" } });
    expect(await trip(m, worker)).toContain("applied");

    const token = await login("w", "wanda@example.com", "wanda password long");
    expect(token).toEqual(expect.any(String));
    const submitted = await call("w", "/v1/requests", { method: "POST", token, body: { topic: "edge", body: { q: "from workerd" } } });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;

    expect(await trip(worker, m)).toContain("applied");
    const op = await login("m", "oscar@example.com", "oscar password long");
    // Search: the import that carried the request indexed it on the master.
    const onMaster = await call("m", "/v1/search?q=workerd", { token: op });
    expect(onMaster.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect((await call("m", `/v1/requests/${id}/response`, { method: "POST", token: op, body: { body: { a: "from the enclave" } } })).status).toBe(201);
    expect(await trip(m, worker)).toContain("applied");
    // ... and the import that carried the answer indexed its words on the Worker's D1.
    const onWorker = await call("w", "/v1/search?q=enclave", { token });
    expect(onWorker.body.items).toEqual([
      expect.objectContaining({
        id,
        status: "answered",
        snippets: [
          {
            field: "answer",
            segments: [
              { text: "from the ", hit: false },
              { text: "enclave", hit: true },
            ],
          },
        ],
      }),
    ]);

    const first = await call("w", `/v1/requests/${id}/response`, { token });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ request_id: id, body: { a: "from the enclave" } });
    expect(first.headers.get("x-cache")).toBe("miss");
    expect((await call("w", `/v1/requests/${id}/response`, { token })).headers.get("x-cache")).toBe("hit");

    // A waiting read on the Worker, held while the answer is made and carried: it answers within 1 s of the import.
    const second = (await call("w", "/v1/requests", { method: "POST", token, body: { topic: "edge", body: { q: "and wait" } } })).body.id as string;
    expect(await trip(worker, m)).toContain("applied");
    const waiting = call("w", `/v1/requests/${second}/response?wait=20`, { token }).then((r) => ({ r, at: Date.now() }));
    expect((await call("m", `/v1/requests/${second}/response`, { method: "POST", token: op, body: { body: { a: "worth the wait" } } })).status).toBe(201);
    expect(await trip(m, worker)).toContain("applied");
    const imported = Date.now();
    const waited = await waiting;
    expect(waited.r.status).toBe(200);
    expect(waited.r.body).toMatchObject({ request_id: second, body: { a: "worth the wait" } });
    console.log(`workerd link: answer ${waited.at - imported} ms after the carry ended (negative: before the courier had finished)`);
    expect(waited.at - imported).toBeLessThan(1000);

    await call("m", `/v1/admin/users/${user.id}`, { method: "DELETE", token: admin });
    await trip(m, worker);
    expect((await call("w", "/v1/me", { token })).status).toBe(401);

    // The Worker's acknowledgement reaches the master: nothing it sent is left unacknowledged.
    await trip(worker, m);
    const st = (await call("m", "/v1/transfer/status", { token: master.courierToken })).body;
    expect(st.outgoing.unacknowledged).toBe(0);
    expect(st.incoming.quarantined).toBe(0);
  });
});
