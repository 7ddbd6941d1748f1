import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { apiKeys, auditLog, outbox, users } from "../../schema/index.ts";
import { PBKDF2_DEFAULT_ITERATIONS } from "../../src/identity/password.ts";
import { bootstrapAdmin } from "../../src/identity/bootstrap.ts";
import { forgetPrincipals } from "../../src/identity/principal-cache.ts";
import { expectProblem, type Harness } from "./harness.ts";
import { PASSWORD, TEST_JWT_SECRET, claimsFor, kidOf, seedApiKey, seedSession, seedUser, webCryptoJwt } from "../helpers/identity-fixtures.ts";

type Json = Record<string, any>;

export function identitySuite(h: Harness) {
  const setup = async (role: "request" | "response" = "response") => {
    const { app, services: s } = await h.app(undefined, { role });
    const call = async (path: string, init: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.auth) headers.authorization = init.auth;
      if (init.body !== undefined) headers["content-type"] = "application/json";
      const res = await app.request(path, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }, {});
      return res;
    };
    const login = (email: string, password = PASSWORD) => call("/v1/auth/token", { method: "POST", body: { email, password } });
    const auditRows = () => s.db.orm.select().from(auditLog).all();
    return { app, s, call, login, auditRows };
  };

  describe(`identity (${h.runtime})`, () => {
    it("login returns tokens, /v1/me shows the user, the login is audited without the password", async () => {
      const { s, login, call, auditRows } = await setup();
      const user = await seedUser(s, { role: "operator", email: "Ops.Person@Example.com" });
      const res = await login("ops.person@example.com"); // case-insensitive
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const tokens = (await res.json()) as Json;
      expect(tokens).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 900, refresh_token: expect.stringMatching(/^rt_[A-Za-z0-9_-]{43}$/) });
      const me = await call("/v1/me", { auth: `Bearer ${tokens.access_token}` });
      expect(await me.json()).toEqual({
        id: user.id,
        email: "Ops.Person@Example.com",
        name: "Test User",
        role: "operator",
        status: "active",
        rate_limits: null,
        version: expect.any(Number),
        created_at: user.createdAt,
        updated_at: expect.any(String),
        auth: { type: "user" },
      });
      const entry = (await auditRows()).find((r) => r.action === "auth.login" && r.targetId === user.id && r.outcome === "success");
      expect(entry).toMatchObject({ actorType: "user", actorId: user.id, targetType: "user", network: s.config.networkId });
      expect(entry!.requestId).toEqual(expect.any(String));
      const all = JSON.stringify(await auditRows());
      expect(all).not.toContain(PASSWORD);
      expect(all).not.toContain(tokens.access_token);
      expect(all).not.toContain(tokens.refresh_token);
    });

    it("wrong password and unknown e-mail are the same 401, audited as failures (unknown address as a digest)", async () => {
      const { s, login, auditRows } = await setup();
      const user = await seedUser(s);
      for (const [email, password] of [
        [user.email, "wrong password entirely"],
        ["nobody@example.com", PASSWORD],
      ]) {
        await expectProblem(
          await login(email, password),
          { status: 401, code: "invalid_credentials", title: "Invalid credentials", instance: "/v1/auth/token", detail: "e-mail or password is wrong" },
          expect,
        );
      }
      const failures = (await auditRows()).filter((r) => r.action === "auth.login" && r.outcome === "failure");
      expect(failures.map((f) => JSON.parse(f.details!).reason).sort()).toEqual(["unknown_account", "wrong_password"]);
      const unknown = failures.find((f) => JSON.parse(f.details!).reason === "unknown_account")!;
      expect(JSON.parse(unknown.details!).email_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(failures)).not.toContain("nobody@example.com");
      expect(JSON.stringify(failures)).not.toContain("wrong password entirely");
    });

    it("a disabled user cannot log in, and their issued tokens stop working", async () => {
      const { s, login, call } = await setup("request");
      const { user, auth } = await seedSession(s);
      expect((await call("/v1/me", { auth })).status).toBe(200);
      await s.db.orm.update(users).set({ status: "disabled", version: 2 }).where(eq(users.id, user.id)); // as an import would
      forgetPrincipals(s); // as the import's after-apply hook does (test/node/principal-cache.test.ts runs a real import)
      await expectProblem(
        await call("/v1/me", { auth }),
        { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/me", detail: "the account is disabled or unknown" },
        expect,
      );
      await expectProblem(await login(user.email), { status: 403, code: "account_disabled", title: "Account disabled", instance: "/v1/auth/token" }, expect);
    });

    it("a changed role ends tokens issued for the old role", async () => {
      const { s, call } = await setup("request");
      const { user, auth } = await seedSession(s, { role: "admin" });
      await s.db.orm.update(users).set({ role: "user" }).where(eq(users.id, user.id));
      forgetPrincipals(s);
      await expectProblem(
        await call("/v1/me", { auth }),
        { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/me", detail: "the account's role has changed; log in again" },
        expect,
      );
    });

    it("the master upgrades an old password hash at login (and sends the user to the replica); the replica never writes users", async () => {
      for (const role of ["response", "request"] as const) {
        const { s, login } = await setup(role);
        const user = await seedUser(s); // fixture hash: 1,000 iterations
        expect((await login(user.email)).status).toBe(200);
        const after = (await s.db.orm.select().from(users).where(eq(users.id, user.id)).get())!;
        const records = await s.db.orm.select().from(outbox).where(eq(outbox.entityId, user.id)).all();
        if (role === "response") {
          expect(after.passwordHash.split("$")[1]).toBe(String(PBKDF2_DEFAULT_ITERATIONS));
          expect(after.version).toBe(2);
          expect(records.map((r) => [r.kind, r.version])).toEqual([["user", 2]]);
          expect((await login(user.email)).status).toBe(200); // the new hash verifies
        } else {
          expect(after).toEqual(user);
          expect(records).toEqual([]);
        }
      }
    });

    it("refresh rotates; reusing a used refresh token revokes the whole family", async () => {
      const { s, login, call, auditRows } = await setup("request");
      const user = await seedUser(s);
      const first = (await (await login(user.email)).json()) as Json;
      const r1 = await call("/v1/auth/refresh", { method: "POST", body: { refresh_token: first.refresh_token } });
      expect(r1.status).toBe(200);
      const second = (await r1.json()) as Json;
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect((await call("/v1/me", { auth: `Bearer ${second.access_token}` })).status).toBe(200);
      // The old one again: theft assumed, family revoked.
      await expectProblem(
        await call("/v1/auth/refresh", { method: "POST", body: { refresh_token: first.refresh_token } }),
        { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/auth/refresh", detail: "this refresh token was already used; the session has been revoked" },
        expect,
      );
      await expectProblem(
        await call("/v1/auth/refresh", { method: "POST", body: { refresh_token: second.refresh_token } }),
        { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/auth/refresh" },
        expect,
      );
      await expectProblem(
        await call("/v1/me", { auth: `Bearer ${second.access_token}` }),
        { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/me", detail: "this session has ended; log in again" },
        expect,
      );
      expect((await auditRows()).some((r) => r.action === "auth.refresh_reuse" && r.targetId === user.id)).toBe(true);
    });

    it("logout ends the session: the access token and its refresh token stop working", async () => {
      const { s, login, call } = await setup("request");
      const user = await seedUser(s);
      const t = (await (await login(user.email)).json()) as Json;
      const other = (await (await login(user.email)).json()) as Json; // a second session stays alive
      const out = await call("/v1/auth/logout", { method: "POST", auth: `Bearer ${t.access_token}` });
      expect(out.status).toBe(204);
      expect((await call("/v1/me", { auth: `Bearer ${t.access_token}` })).status).toBe(401);
      expect((await call("/v1/auth/refresh", { method: "POST", body: { refresh_token: t.refresh_token } })).status).toBe(401);
      expect((await call("/v1/me", { auth: `Bearer ${other.access_token}` })).status).toBe(200);
      await call("/v1/auth/logout", { method: "POST", auth: `Bearer ${other.access_token}`, body: { all_sessions: true } });
      expect((await call("/v1/me", { auth: `Bearer ${other.access_token}` })).status).toBe(401);
    });

    it("a token minted with raw WebCrypto and the right key is accepted; the same claims with a wrong key are refused", async () => {
      const { s, call } = await setup("request");
      const { user, tokens } = await seedSession(s);
      const sid = JSON.parse(atob(tokens.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sid;
      const claims = claimsFor(s, user, sid);
      const good = await webCryptoJwt(claims, TEST_JWT_SECRET, kidOf(tokens.access_token));
      const me = await call("/v1/me", { auth: `Bearer ${good}` });
      expect(me.status).toBe(200);
      expect(((await me.json()) as Json).id).toBe(user.id);
      const bad = await webCryptoJwt(claims, "a-different-secret-0123456789abcdef-xyz", kidOf(tokens.access_token));
      await expectProblem(await call("/v1/me", { auth: `Bearer ${bad}` }), { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/me" }, expect);
      const otherNetwork = await webCryptoJwt({ ...claims, aud: "airlock-elsewhere" }, TEST_JWT_SECRET, kidOf(tokens.access_token));
      await expectProblem(await call("/v1/me", { auth: `Bearer ${otherNetwork}` }), { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/me" }, expect);
    });

    it("API keys: the secret is shown once, stored as a hash, works as Bearer and X-API-Key, travels without its hash, and revocation ends it", async () => {
      const { s, call, auditRows } = await setup("request");
      const { user, auth } = await seedSession(s);
      const created = await call("/v1/api-keys", { method: "POST", auth, body: { name: "ci", scopes: ["requests:read"] } });
      expect(created.status).toBe(201);
      const key = (await created.json()) as Json;
      expect(key).toEqual({
        id: expect.stringMatching(/^key_/),
        user_id: user.id,
        name: "ci",
        prefix: key.key.slice(0, 11),
        scopes: ["requests:read"],
        expires_at: null,
        last_used_at: null,
        created_at: expect.any(String),
        revoked_at: null,
        key: expect.stringMatching(/^ak_[A-Za-z0-9_-]{43}$/),
      });
      expect(created.headers.get("location")).toBe(`/v1/api-keys/${key.id}`);
      const row = (await s.db.orm.select().from(apiKeys).where(eq(apiKeys.id, key.id)).get())!;
      expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(key.key);
      const list = (await (await call("/v1/api-keys", { auth })).json()) as Json;
      expect(list.items).toHaveLength(1);
      expect(JSON.stringify(list)).not.toContain(key.key);
      expect(list.items[0]).not.toHaveProperty("key");

      for (const headers of [{ authorization: `Bearer ${key.key}` }, { "x-api-key": key.key as string }] as Array<Record<string, string>>) {
        const me = await call("/v1/me", { headers });
        expect(((await me.json()) as Json).auth).toEqual({ type: "api_key", api_key_id: key.id, scopes: ["requests:read"] });
      }
      expect((await s.db.orm.select().from(apiKeys).where(eq(apiKeys.id, key.id)).get())!.lastUsedAt).not.toBeNull();
      // A key cannot mint keys.
      await expectProblem(
        await call("/v1/api-keys", { method: "POST", headers: { "x-api-key": key.key }, body: { name: "x" } }),
        { status: 403, code: "forbidden", title: "Forbidden", instance: "/v1/api-keys" },
        expect,
      );

      const records = await s.db.orm.select().from(outbox).where(eq(outbox.entityId, key.id)).all();
      expect(records.map((r) => r.kind)).toEqual(["api_key"]);
      expect(JSON.parse(records[0].payload)).not.toHaveProperty("keyHash");

      const revoked = await call(`/v1/api-keys/${key.id}`, { method: "DELETE", auth });
      expect(((await revoked.json()) as Json).revoked_at).toEqual(expect.any(String));
      await expectProblem(
        await call("/v1/me", { headers: { "x-api-key": key.key } }),
        { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/me", detail: "this API key has been revoked" },
        expect,
      );
      expect((await s.db.orm.select().from(outbox).where(eq(outbox.entityId, key.id)).all()).map((r) => [r.kind, r.version])).toEqual([
        ["api_key", 1],
        ["api_key", 2],
      ]);
      const actions = (await auditRows()).filter((r) => r.targetId === key.id).map((r) => r.action);
      expect(actions).toEqual(["api_key.create", "api_key.revoke"]);
      expect(JSON.stringify(await auditRows())).not.toContain(key.key);
    });

    it("an expired API key is refused; expiry must be in the future", async () => {
      const { s, call } = await setup("request");
      const { user, auth } = await seedSession(s);
      const old = await seedApiKey(s, user.id, { expiresAt: "2020-01-01T00:00:00.000Z" });
      await expectProblem(
        await call("/v1/me", { headers: { "x-api-key": old.key } }),
        { status: 401, code: "token_expired", title: "Token expired", instance: "/v1/me", detail: "this API key has expired" },
        expect,
      );
      const res = await call("/v1/api-keys", { method: "POST", auth, body: { name: "x", expires_at: "2020-01-01T00:00:00Z" } });
      const body = await expectProblem(res, { status: 400, code: "validation_failed", title: "Validation failed", instance: "/v1/api-keys" }, expect);
      expect(body.errors).toEqual([{ pointer: "/expires_at", detail: "must be in the future" }]);
    });

    it("users on the master: create, duplicates, policy, list, update, reset, disable, last admin — each with outbox and audit", async () => {
      const { s, call, login, auditRows } = await setup("response");
      const { user: admin, auth } = await seedSession(s, { role: "admin" });
      const created = await call("/v1/admin/users", { method: "POST", auth, body: { email: "Alice@Example.com", name: "Alice", role: "user", password: "alice's long password" } });
      expect(created.status).toBe(201);
      const alice = (await created.json()) as Json;
      expect(alice).toEqual({
        id: expect.stringMatching(/^usr_/),
        email: "Alice@Example.com",
        name: "Alice",
        role: "user",
        status: "active",
        rate_limits: null,
        version: 1,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect(created.headers.get("location")).toBe(`/v1/admin/users/${alice.id}`);
      expect(JSON.stringify(alice)).not.toMatch(/password/i);

      await expectProblem(
        await call("/v1/admin/users", { method: "POST", auth, body: { email: "ALICE@example.com", name: "A2", role: "user", password: "another long password" } }),
        { status: 409, code: "email_taken", title: "E-mail address already in use", instance: "/v1/admin/users" },
        expect,
      );
      const weak = await call("/v1/admin/users", { method: "POST", auth, body: { email: "bob@example.com", name: "Bob", role: "user", password: "short" } });
      const weakBody = await expectProblem(
        weak,
        { status: 400, code: "validation_failed", title: "Validation failed", instance: "/v1/admin/users", detail: "the password does not meet the policy" },
        expect,
      );
      expect((weakBody.errors as Json[]).every((e) => e.pointer === "/password")).toBe(true);
      const same = await call("/v1/admin/users", {
        method: "POST",
        auth,
        body: { email: "carol.long.name@example.com", name: "C", role: "user", password: "carol.long.name@example.com" },
      });
      expect(same.status).toBe(400);
      const unknownField = await call("/v1/admin/users", {
        method: "POST",
        auth,
        body: { email: "d@example.com", name: "D", role: "god", password: "a long enough password", admin: true },
      });
      const ufBody = await expectProblem(unknownField, { status: 400, code: "validation_failed", title: "Validation failed", instance: "/v1/admin/users" }, expect);
      expect((ufBody.errors as Json[]).map((e) => e.pointer).sort()).toEqual(["", "/role"]);

      expect((await login("alice@example.com", "alice's long password")).status).toBe(200);
      const patched = await call(`/v1/admin/users/${alice.id}`, { method: "PATCH", auth, body: { role: "operator", name: "Alice O." } });
      expect(await patched.json()).toMatchObject({ role: "operator", name: "Alice O.", version: 2 });
      const aliceSession = (await (await login("alice@example.com", "alice's long password")).json()) as Json;
      const reset = await call(`/v1/admin/users/${alice.id}`, { method: "PATCH", auth, body: { password: "a brand new long password" } });
      expect(((await reset.json()) as Json).version).toBe(3);
      expect((await call("/v1/me", { auth: `Bearer ${aliceSession.access_token}` })).status).toBe(401); // reset ends sessions
      expect((await login("alice@example.com", "a brand new long password")).status).toBe(200);

      const listed = (await (await call("/v1/admin/users?role=operator&email=alice@&limit=1", { auth })).json()) as Json;
      expect(listed.items.map((u: Json) => u.id)).toEqual([alice.id]);
      expect(listed.next_cursor).toBeNull();
      const page1 = (await (await call("/v1/admin/users?limit=1", { auth })).json()) as Json;
      expect(page1.items).toHaveLength(1);
      const page2 = (await (await call(`/v1/admin/users?limit=1&cursor=${page1.next_cursor}`, { auth })).json()) as Json;
      expect(page2.items[0].id).not.toBe(page1.items[0].id);
      expect((await call("/v1/admin/users?cursor=garbage!", { auth })).status).toBe(400);
      const byEmail = (await (await call("/v1/admin/users?email=ALICE@EX", { auth })).json()) as Json;
      expect(byEmail.items.map((u: Json) => u.id)).toEqual([alice.id]);

      const del = await call(`/v1/admin/users/${alice.id}`, { method: "DELETE", auth });
      expect(await del.json()).toMatchObject({ id: alice.id, status: "disabled", version: 4 });
      expect((await s.db.orm.select().from(users).where(eq(users.id, alice.id)).get())!.status).toBe("disabled"); // never hard-deleted
      await expectProblem(
        await call(`/v1/admin/users/${admin.id}`, { method: "DELETE", auth }),
        { status: 409, code: "last_admin", title: "The last active admin cannot be removed", instance: `/v1/admin/users/${admin.id}` },
        expect,
      );
      await expectProblem(
        await call(`/v1/admin/users/usr_nope`, { method: "GET", auth }),
        { status: 404, code: "not_found", title: "Not found", instance: "/v1/admin/users/usr_nope" },
        expect,
      );

      const records = await s.db.orm.select().from(outbox).where(eq(outbox.entityId, alice.id)).all();
      expect(records.map((r) => [r.kind, r.version])).toEqual([
        ["user", 1],
        ["user", 2],
        ["user", 3],
        ["user", 4],
      ]);
      expect(JSON.parse(records[3].payload)).toMatchObject({ id: alice.id, status: "disabled", passwordHash: expect.stringMatching(/^pbkdf2-sha256\$/) });
      const actions = (await auditRows()).filter((r) => r.targetId === alice.id && r.actorId === admin.id).map((r) => r.action);
      expect(actions).toEqual(["user.create", "user.update", "user.password_reset", "user.disable"]);
      expect(JSON.stringify(await auditRows())).not.toMatch(/alice's long password|a brand new long password/);
    });

    it("the audit chain verifies, and a tampered entry is reported as the first broken link", async () => {
      const { s, call } = await setup("response");
      const { user: admin, auth } = await seedSession(s, { role: "admin" });
      const before = (await s.db.orm.select().from(auditLog).all()).length; // other tests may share this database
      for (let i = 0; i < 3; i++)
        await call("/v1/admin/users", {
          method: "POST",
          auth,
          body: { email: `u${i}-${crypto.randomUUID()}@example.com`, name: `U${i}`, role: "user", password: "a long enough password" },
        });
      const ok = (await (await call("/v1/admin/audit/verify", { auth })).json()) as Json;
      expect(ok).toEqual({ ok: true, checked: before + 3, first_broken_seq: null, reason: null });
      const list = (await (await call(`/v1/admin/audit?action=user.create&actor_id=${admin.id}&limit=2`, { auth })).json()) as Json;
      expect(list.items.map((e: Json) => e.seq)).toEqual([before + 3, before + 2]);
      expect(list.items[0]).toMatchObject({ action: "user.create", actor_type: "user", actor_id: admin.id, target_type: "user", outcome: "success", details: { role: "user" } });
      const rest = (await (await call(`/v1/admin/audit?action=user.create&actor_id=${admin.id}&cursor=${list.next_cursor}`, { auth })).json()) as Json;
      expect(rest.items.map((e: Json) => e.seq)).toEqual([before + 1]);
      expect(rest.next_cursor).toBeNull();
      await s.db.orm
        .update(auditLog)
        .set({ details: '{"role":"admin"}' })
        .where(eq(auditLog.seq, before + 2));
      const broken = (await (await call("/v1/admin/audit/verify", { auth })).json()) as Json;
      expect(broken).toEqual({ ok: false, checked: before + 1, first_broken_seq: before + 2, reason: "entry content does not match its hash" });
      // Repair, so later tests sharing this database see an intact chain.
      await s.db.orm
        .update(auditLog)
        .set({ details: '{"role":"user"}' })
        .where(eq(auditLog.seq, before + 2));
    });

    it("the bootstrap admin is created once and never changed by a restart", async () => {
      const { s } = await setup("response");
      const withAdmin = { ...s, config: { ...s.config, admin: { email: "root@example.com", password: "bootstrap password 1" } } };
      expect(await bootstrapAdmin(withAdmin)).toBe("created");
      const first = await s.db.orm.select().from(users).where(eq(users.emailNormalized, "root@example.com")).get();
      const again = { ...s, config: { ...s.config, admin: { email: "root@example.com", password: "a different password 2" } } };
      expect(await bootstrapAdmin(again)).toBe("exists");
      expect(await s.db.orm.select().from(users).where(eq(users.emailNormalized, "root@example.com")).get()).toEqual(first);
      expect(await bootstrapAdmin({ ...s, config: { ...s.config, role: "request" } })).toBe("skipped");
    });
  });
}
