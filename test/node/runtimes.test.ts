import { describe, expect, it } from "vitest";
import { DENO, DENO_ARGS, TSX, run } from "../helpers/spawn.ts";
import { TEST_ENV, tempDir } from "../helpers/node-app.ts";
import { testKeys, transferEnv } from "../helpers/keys.ts";
import { parseEncryptionKeys, parsePeerKeys, verifyBatch } from "../../src/transfer/batch/index.ts";

describe("runtimes", () => {
  it("Deno: boots on libSQL, answers /health and /v1/meta, logs in, changes a user and seals a batch", async () => {
    const dir = await tempDir();
    const p = run(DENO, DENO_ARGS, {
      ...TEST_ENV,
      ...(await transferEnv("response")),
      NETWORK_ROLE: "response",
      AIRLOCK_DATA_DIR: dir,
      PORT: "0",
      DENO_NO_UPDATE_CHECK: "1",
      AIRLOCK_ADMIN_EMAIL: "deno-admin@example.com",
      AIRLOCK_ADMIN_PASSWORD: "deno admin password",
    });
    try {
      const line = await p.waitForLine((l) => l.msg === "listening", 60_000);
      expect(line).toMatchObject({ runtime: "deno", role: "response" });
      const url = String(line.url);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      const meta = await fetch(`${url}/v1/meta`);
      expect(await meta.json()).toMatchObject({ name: "airlock", role: "response", runtime: "deno", schema_version: expect.stringMatching(/^\d{4}_[a-z_]+$/) });
      const missing = await fetch(`${url}/nope`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      // Beyond the smoke: a login (PBKDF2 on Deno), a user change, and a signed batch (Ed25519 + gzip on Deno).
      const login = await fetch(`${url}/v1/auth/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "deno-admin@example.com", password: "deno admin password" }),
      });
      const token = ((await login.json()) as { access_token: string }).access_token;
      const created = await fetch(`${url}/v1/admin/users`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ email: "d@example.com", name: "D", role: "user", password: "a long enough password" }),
      });
      expect(created.status).toBe(201);
      const courier = { authorization: `Bearer ${TEST_ENV.AIRLOCK_COURIER_TOKEN}` };
      const exported = await fetch(`${url}/v1/transfer/export`, { method: "POST", headers: courier });
      expect(((await exported.json()) as { exported: unknown[] }).exported).toHaveLength(1);
      const outbox = (await (await fetch(`${url}/v1/transfer/outbox`, { headers: courier })).json()) as { items: Array<{ id: string; records: number; sha256: string }> };
      expect(outbox.items[0].records).toBe(2); // the bootstrap admin and the new user
      const file = new Uint8Array(await (await fetch(`${url}/v1/transfer/outbox/${outbox.items[0].id}`, { headers: courier })).arrayBuffer());
      const keys = await testKeys();
      // Sealed on Deno (X25519 + AES-GCM), opened here with the destination's key.
      const verified = await verifyBatch(file, {
        expectedDestination: "airlock-request",
        peerKeys: await parsePeerKeys([keys.response.publicJwk]),
        openingKeys: (await parseEncryptionKeys([keys.request.encryption.privateJwk])).opening,
      });
      expect(verified.ok && verified.records.map((r) => r.kind)).toEqual(["user", "user"]);
      expect(missing.headers.get("content-type")).toBe("application/problem+json");
      // The console (hono/jsx) renders on Deno, and its sign-in goes through the same login.
      const signInPage = await fetch(`${url}/console/sign-in`);
      expect(signInPage.status).toBe(200);
      expect(signInPage.headers.get("content-security-policy")).toContain("default-src 'none'");
      const form = await signInPage.text();
      expect(form).toContain('<label for="f-email">E-mail address</label>');
      const signedIn = await fetch(`${url}/console/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: signInPage.headers.getSetCookie()[0].split(";")[0], origin: url, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          _csrf: /name="_csrf" value="([^"]+)"/.exec(form)![1],
          email: "deno-admin@example.com",
          password: "deno admin password",
          next: "/console/audit",
        }),
      });
      expect([signedIn.status, signedIn.headers.get("location")]).toEqual([303, "/console/audit"]);
      const auditPage = await fetch(`${url}/console/audit`, { headers: { cookie: signedIn.headers.getSetCookie()[0].split(";")[0] } });
      expect(auditPage.status).toBe(200);
      expect(await auditPage.text()).toContain("<code>auth.login</code>");
      // The queue and users pages too, with their Server-Timing.
      const session = signedIn.headers.getSetCookie()[0].split(";")[0];
      const queuePage = await fetch(`${url}/console/queue`, { headers: { cookie: session } });
      expect([queuePage.status, queuePage.headers.get("server-timing")]).toEqual([200, expect.stringMatching(/^app;dur=[\d.]+$/)]);
      expect(await queuePage.text()).toContain("open requests match.");
      const usersPage = await fetch(`${url}/console/users?email=deno-admin`, { headers: { cookie: session } });
      expect(await usersPage.text()).toContain(">deno-admin@example.com</a>");
    } finally {
      expect(await p.stop()).toBe(0); // SIGINT stops it cleanly
    }
  }, 90_000);

  it("Node entry stops cleanly on SIGINT", async () => {
    const dir = await tempDir();
    const p = run(TSX, ["src/runtime/node.ts"], { ...TEST_ENV, NETWORK_ROLE: "request", AIRLOCK_DATA_DIR: dir, PORT: "0" });
    const line = await p.waitForLine((l) => l.msg === "listening", 60_000);
    const res = await fetch(`${line.url}/v1/meta`, { headers: { "X-Request-Id": "node-real-server-1" } });
    expect(await res.json()).toMatchObject({ role: "request", runtime: "node" });
    expect(res.headers.get("x-request-id")).toBe("node-real-server-1");
    const missing = await fetch(`${line.url}/nope`);
    expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await p.stop()).toBe(0);
  }, 90_000);

  for (const [name, cmd, args] of [
    ["Node", TSX, ["src/runtime/node.ts"]],
    ["Deno", DENO, DENO_ARGS],
  ] as const) {
    it(`${name}: a bad configuration exits non-zero naming the setting`, async () => {
      const p = run(cmd, [...args], { NETWORK_ROLE: "banana", AIRLOCK_COURIER_TOKN: "x", DENO_NO_UPDATE_CHECK: "1" });
      const code = await p.exited;
      expect(code).toBe(2);
      expect(p.output()).toContain('NETWORK_ROLE: expected "request" or "response" (got "banana")');
      expect(p.output()).toContain("AIRLOCK_COURIER_TOKN: unknown setting");
    }, 60_000);
  }
});
