import { describe, expect, it } from "vitest";
import { expectProblem, type Harness } from "./harness.ts";
import { CATALOG, type ErrorCode } from "../../src/errors.ts";
import { forgedTokens, seedApiKey, seedSession, seedUser } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";
import { ALL, MATRIX, type Ctx, type Network } from "./auth-matrix.routes.ts";
import { call, keyCreationWithinRole, keysNeverManageSessionsOrKeys, matrixMatchesDocument, scopedKeyColumn } from "./auth-matrix.keys.ts";

const problem = (status: number, code: string, title: string) => ({ status, code, title });
const UNAUTHORIZED = problem(401, "unauthorized", "Authentication required");
const INVALID = problem(401, "invalid_token", "Invalid token");
const EXPIRED = problem(401, "token_expired", "Token expired");
const FORBIDDEN = problem(403, "forbidden", "Forbidden");

export function authMatrixSuite(h: Harness, networks: Network[] = ["request", "response"]) {
  for (const network of networks) {
    describe(`auth matrix (${h.runtime}, ${network} network)`, () => {
      for (const r of MATRIX) {
        const label = `${r.method} ${typeof r.path === "string" ? r.path : `${r.path.toString().match(/`([^`$]+)/)?.[1]}:id`}`;
        it(label, async () => {
          const { app, services: s } = await h.app(undefined, { role: network });
          const admin = await seedSession(s, { role: "admin" });
          const ctx: Ctx = { s, caller: admin.user };
          const forged = await forgedTokens(s, admin.tokens.access_token, admin.user, kidFree(admin.tokens.access_token));
          const revokedKey = await seedApiKey(s, admin.user.id, { revoked: true });
          const cases: Array<[string, Record<string, string>, { status: number; code: string; title: string }]> = [
            ["no credentials", {}, UNAUTHORIZED],
            ["malformed token", { authorization: `Bearer ${forged.malformed}` }, INVALID],
            ["malformed header", { authorization: "Token abc" }, INVALID],
            ["expired token", { authorization: `Bearer ${forged.expired}` }, EXPIRED],
            ["token signed with another key", { authorization: `Bearer ${forged.otherKey}` }, INVALID],
            ["alg none", { authorization: `Bearer ${forged.algNone}` }, INVALID],
            ["altered payload", { authorization: `Bearer ${forged.altered}` }, INVALID],
            ["revoked API key (Bearer)", { authorization: `Bearer ${revokedKey.key}` }, INVALID],
            ["revoked API key (X-API-Key)", { "x-api-key": revokedKey.key }, INVALID],
          ];
          for (const [name, headers, want] of cases) {
            const { res, path } = await call(app, r, ctx, headers);
            await expectProblem(res, { ...want, instance: path }, (v) => expect(v, `${label}: ${name}`));
          }
          // The courier token moves batches and nothing else.
          {
            const { res, path } = await call(app, r, ctx, { authorization: `Bearer ${s.config.courierToken}` });
            const want = r.ok(network);
            if (!r.courierToken) await expectProblem(res, { ...FORBIDDEN, instance: path }, (v) => expect(v, `${label}: courier token`));
            else if (typeof want === "number") expect(res.status, `${label} with the courier token`).toBe(want);
            else
              await expectProblem(res, { status: want.status, code: want.code, title: CATALOG[want.code as ErrorCode].title, instance: path }, (v) =>
                expect(v, `${label}: courier token`),
              );
          }
          // The metrics token scrapes GET /metrics and nothing else.
          {
            const { res, path } = await call(app, r, ctx, { authorization: `Bearer ${s.config.metricsToken}` });
            if (r.metricsToken) expect(res.status, `${label} with the metrics token`).toBe(r.ok(network));
            else await expectProblem(res, { ...FORBIDDEN, instance: path, detail: "the metrics token may only read GET /metrics" }, (v) => expect(v, `${label}: metrics token`));
          }
          for (const role of ALL) {
            const who = await seedSession(s, { role });
            const roleCtx: Ctx = { s, caller: who.user };
            const { res, path } = await call(app, r, roleCtx, { authorization: who.auth });
            if (r.roles.includes(role)) {
              const want = r.ok(network, role);
              if (typeof want === "number") expect(res.status, `${label} as ${role}: ${await res.clone().text()}`).toBe(want);
              else
                await expectProblem(res, { status: want.status, code: want.code, title: CATALOG[want.code as ErrorCode].title, instance: path }, (v) =>
                  expect(v, `${label} as ${role}`),
                );
            } else {
              await expectProblem(res, { ...FORBIDDEN, instance: path }, (v) => expect(v, `${label} as ${role}`));
            }
          }
          await scopedKeyColumn(app, s, r, network, label);
        });
      }

      it("every guarded operation of /openapi.json is in the matrix, with the document's roles and scope", async () => {
        const { app, services: s } = await h.app(undefined, { role: network });
        await matrixMatchesDocument(app, s);
      });

      it("API keys never end sessions or manage keys, whatever their scopes; nothing changes", async () => {
        const { app, services: s } = await h.app(undefined, { role: network });
        await keysNeverManageSessionsOrKeys(app, s);
      });

      if (network === "request") {
        it("an API key is created only with scopes its owner's role can use", async () => {
          const { app, services: s } = await h.app(undefined, { role: network });
          await keyCreationWithinRole(app, s);
        });
      }

      it("another user's API key is 404, never 403", async () => {
        const { app, services: s } = await h.app(undefined, { role: network });
        const me = await seedSession(s, { role: "user" });
        const other = await seedUser(s);
        const theirs = await seedApiKey(s, other.id);
        const res = await app.request(`/v1/api-keys/${theirs.id}`, { method: "DELETE", headers: { authorization: me.auth } }, {});
        await expectProblem(res, { status: 404, code: "not_found", title: "Not found", instance: `/v1/api-keys/${theirs.id}`, detail: "no such API key" }, expect);
        const list = await app.request(`/v1/api-keys?user_id=${other.id}`, { headers: { authorization: me.auth } }, {});
        expect(((await list.json()) as { items: unknown[] }).items).toEqual([]); // user_id is ignored for non-admins
      });

      it("another user's request is 404, never 403 (read, its response, cancel, list)", async () => {
        const { app, services: s } = await h.app(undefined, { role: network });
        const me = await seedSession(s, { role: "user" });
        const other = await seedUser(s);
        const theirs = await seedRequest(s, other.id, { answered: true });
        for (const [method, path] of [
          ["GET", `/v1/requests/${theirs.id}`],
          ["GET", `/v1/requests/${theirs.id}/response`],
          ["POST", `/v1/requests/${theirs.id}/cancel`],
        ] as const) {
          const res = await app.request(path, { method, headers: { authorization: me.auth } }, {});
          await expectProblem(res, { status: 404, code: "not_found", title: "Not found", instance: path, detail: "no such request" }, (v) => expect(v, `${method} ${path}`));
        }
        const list = await app.request(`/v1/requests?user_id=${other.id}`, { headers: { authorization: me.auth } }, {});
        expect(((await list.json()) as { items: unknown[] }).items).toEqual([]); // user_id is ignored for users
      });
    });
  }
}

/** The session id (sid claim) of one of our tokens. */
function kidFree(token: string): string {
  return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sid;
}
