import { describe, expect, it } from "vitest";
import type { Role } from "../../src/auth/roles.ts";
import type { Services } from "../../src/services.ts";
import type { AirlockApp } from "../../src/app.ts";
import { expectProblem, type Harness } from "./harness.ts";
import { CATALOG, type ErrorCode } from "../../src/errors.ts";
import { forgedTokens, seedApiKey, seedSession, seedUser } from "./identity-fixtures.ts";
import { seedRequest } from "./requests-fixtures.ts";

type Network = "request" | "response";
interface Ctx {
  s: Services;
  caller: { id: string; role: Role };
}
export interface MatrixRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string | ((ctx: Ctx) => Promise<string>);
  body?: (ctx: Ctx) => unknown;
  roles: readonly Role[];
  /** Whether the network's courier token is accepted (transfer routes); elsewhere it is 403. */
  courierToken?: boolean;
  /** Status for an allowed caller, per network (and the problem code when it is a problem). */
  ok: (network: Network) => number | { status: number; code: string };
}

const ALL = ["admin", "operator", "courier", "user"] as const;
const freshUser = async (c: Ctx) => (await seedUser(c.s)).id;
const SUBMITTERS = ["admin", "operator", "user"] as const;
const ANSWERERS = ["admin", "operator"] as const;

const COURIERS = ["admin", "courier"] as const;
const TRANSFER: Array<Omit<MatrixRoute, "roles">> = [
  { method: "GET", path: "/v1/transfer/status", ok: () => 200 },
  { method: "POST", path: "/v1/transfer/export", body: () => ({}), ok: () => 200 },
  { method: "GET", path: "/v1/transfer/outbox", ok: () => 200 },
  { method: "GET", path: "/v1/transfer/outbox/00000000-0000-4000-8000-000000000000", ok: () => ({ status: 404, code: "not_found" }) },
  // JSON is not a batch file: past authentication, the inbox refuses the type.
  { method: "POST", path: "/v1/transfer/inbox", body: () => ({}), ok: () => ({ status: 415, code: "unsupported_media_type" }) },
  { method: "POST", path: "/v1/transfer/import", ok: () => 200 },
  { method: "GET", path: "/v1/transfer/batches", ok: () => 200 },
  { method: "POST", path: "/v1/transfer/batches/rcv_00000000000000000000000000/retry", ok: () => ({ status: 404, code: "not_found" }) },
  { method: "GET", path: "/v1/transfer/dead-letters", ok: () => 200 },
];

/** The one route table every security test walks. Later issues add their routes here. */
export const MATRIX: MatrixRoute[] = [
  { method: "GET", path: "/v1/me", roles: ALL, ok: () => 200 },
  { method: "POST", path: "/v1/auth/logout", roles: ALL, ok: () => 204 },
  { method: "GET", path: "/v1/admin/users", roles: ["admin"], ok: () => 200 },
  {
    method: "POST",
    path: "/v1/admin/users",
    body: () => ({ email: `new-${crypto.randomUUID()}@example.com`, name: "New", role: "user", password: "a long enough password" }),
    roles: ["admin"],
    ok: (n) => (n === "response" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: async (c) => `/v1/admin/users/${await freshUser(c)}`, roles: ["admin"], ok: () => 200 },
  {
    method: "PATCH",
    path: async (c) => `/v1/admin/users/${await freshUser(c)}`,
    body: () => ({ name: "Renamed" }),
    roles: ["admin"],
    ok: (n) => (n === "response" ? 200 : { status: 409, code: "owned_by_other_network" }),
  },
  {
    method: "DELETE",
    path: async (c) => `/v1/admin/users/${await freshUser(c)}`,
    roles: ["admin"],
    ok: (n) => (n === "response" ? 200 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: "/v1/api-keys", roles: ALL, ok: () => 200 },
  {
    method: "POST",
    path: "/v1/api-keys",
    body: () => ({ name: "k" }),
    roles: ALL,
    ok: (n) => (n === "request" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "DELETE", path: async (c) => `/v1/api-keys/${(await seedApiKey(c.s, c.caller.id)).id}`, roles: ALL, ok: () => 200 },
  { method: "DELETE", path: async (c) => `/v1/admin/api-keys/${(await seedApiKey(c.s, await freshUser(c))).id}`, roles: ["admin"], ok: () => 200 },
  { method: "GET", path: "/v1/admin/audit", roles: ["admin"], ok: () => 200 },
  { method: "POST", path: "/v1/transfer/dead-letters/dlt_00000000000000000000000000/retry", roles: ["admin"], ok: () => ({ status: 404, code: "not_found" }) },
  { method: "POST", path: "/v1/transfer/outbox/999/supersede", body: () => ({ omit: [{ kind: "request", id: "r" }], reason: "x" }), roles: ["admin"], ok: () => ({ status: 404, code: "not_found" }) },
  { method: "GET", path: "/v1/admin/audit/verify", roles: ["admin"], ok: () => 200 },
  // Requests and responses (issue 4): requests belong to the request network, the queue and answers to the response network.
  {
    method: "POST",
    path: "/v1/requests",
    body: () => ({ topic: "matrix", body: { q: 1 } }),
    roles: SUBMITTERS,
    ok: (n) => (n === "request" ? 202 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: "/v1/requests", roles: SUBMITTERS, ok: () => 200 },
  { method: "GET", path: async (c) => `/v1/requests/${(await seedRequest(c.s, c.caller.id)).id}`, roles: SUBMITTERS, ok: () => 200 },
  {
    method: "POST",
    path: async (c) => `/v1/requests/${(await seedRequest(c.s, c.caller.id)).id}/cancel`,
    roles: SUBMITTERS,
    ok: (n) => (n === "request" ? 200 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: async (c) => `/v1/requests/${(await seedRequest(c.s, c.caller.id, { answered: true })).id}/response`, roles: SUBMITTERS, ok: () => 200 },
  { method: "GET", path: "/v1/queue", roles: ANSWERERS, ok: (n) => (n === "response" ? 200 : { status: 404, code: "wrong_network" }) },
  {
    method: "POST",
    path: async (c) => `/v1/queue/${(await seedRequest(c.s, await freshUser(c))).id}/claim`,
    roles: ANSWERERS,
    ok: (n) => (n === "response" ? 200 : { status: 404, code: "wrong_network" }),
  },
  {
    method: "POST",
    path: async (c) => `/v1/requests/${(await seedRequest(c.s, await freshUser(c))).id}/response`,
    body: () => ({ body: { a: 1 } }),
    roles: ANSWERERS,
    ok: (n) => (n === "response" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  {
    method: "POST",
    path: async (c) => `/v1/requests/${(await seedRequest(c.s, await freshUser(c))).id}/reject`,
    body: () => ({ reason: "matrix" }),
    roles: ANSWERERS,
    ok: (n) => (n === "response" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: "/v1/admin/cache/stats", roles: ["admin"], ok: () => 200 },
  { method: "GET", path: "/v1/admin/cache/health", roles: ["admin"], ok: () => 200 },
  { method: "DELETE", path: "/v1/admin/cache", roles: ["admin"], ok: () => 200 },
  { method: "DELETE", path: async (c) => `/v1/admin/cache/users/${await freshUser(c)}`, roles: ["admin"], ok: () => 200 },
  { method: "POST", path: "/v1/admin/cache/invalidate", body: () => ({ pattern: "resp:*" }), roles: ["admin"], ok: () => 200 },
  { method: "GET", path: async (c) => `/v1/admin/rate-limits/${await freshUser(c)}`, roles: ["admin"], ok: () => 200 },
  { method: "DELETE", path: async (c) => `/v1/admin/rate-limits/${await freshUser(c)}`, roles: ["admin"], ok: () => 204 },
  // Transfer (issue 5): admins, couriers and the courier token.
  ...TRANSFER.map((r) => ({ ...r, roles: COURIERS, courierToken: true })),
  { method: "GET", path: "/v1/admin/stats", roles: ["admin"], ok: () => 200 },
];

async function call(app: AirlockApp, r: MatrixRoute, ctx: Ctx, headers: Record<string, string>) {
  const path = typeof r.path === "string" ? r.path : await r.path(ctx);
  const body = r.body?.(ctx);
  const res = await app.request(path, { method: r.method, headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined }, {});
  return { res, path };
}

const problem = (status: number, code: string, title: string) => ({ status, code, title });
const UNAUTHORIZED = problem(401, "unauthorized", "Authentication required");
const INVALID = problem(401, "invalid_token", "Invalid token");
const EXPIRED = problem(401, "token_expired", "Token expired");
const FORBIDDEN = problem(403, "forbidden", "Forbidden");

export function authMatrixSuite(h: Harness, networks: Network[] = ["request", "response"]) {
  for (const network of networks) {
    describe(`auth matrix (${h.runtime}, ${network} network)`, () => {
      for (const r of MATRIX) {
        const label = `${r.method} ${typeof r.path === "string" ? r.path : r.path.toString().match(/`([^`$]+)/)?.[1] + ":id"}`;
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
            else await expectProblem(res, { status: want.status, code: want.code, title: CATALOG[want.code as ErrorCode].title, instance: path }, (v) => expect(v, `${label}: courier token`));
          }
          for (const role of ALL) {
            const who = await seedSession(s, { role });
            const roleCtx: Ctx = { s, caller: who.user };
            const { res, path } = await call(app, r, roleCtx, { authorization: who.auth });
            if (r.roles.includes(role)) {
              const want = r.ok(network);
              if (typeof want === "number") expect(res.status, `${label} as ${role}: ${await res.clone().text()}`).toBe(want);
              else await expectProblem(res, { status: want.status, code: want.code, title: CATALOG[want.code as ErrorCode].title, instance: path }, (v) => expect(v, `${label} as ${role}`));
            } else {
              await expectProblem(res, { ...FORBIDDEN, instance: path }, (v) => expect(v, `${label} as ${role}`));
            }
          }
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
