import type { Role } from "../../src/identity/roles.ts";
import type { Services } from "../../src/services.ts";
import { ANY_KEY, SESSION_ONLY, type ScopeRule } from "../../src/identity/scopes.ts";
import { seedApiKey, seedUser } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";
import { seedEndpoint } from "../helpers/webhooks-fixtures.ts";

export type Network = "request" | "response";
export interface Ctx {
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
  /** Whether the metrics token is accepted (GET /metrics); elsewhere it is 403. */
  metricsToken?: boolean;
  /** What an API key needs here (src/identity/scopes.ts), as the OpenAPI document must say too. */
  scope: ScopeRule;
  /**
   * Status for an allowed caller, per network (and the problem code when it is a problem). The
   * caller's role is given where a network narrows the roles past the guard (webhooks: users on
   * the request network only); without it, what an admin gets.
   */
  ok: (network: Network, role?: Role) => number | { status: number; code: string };
}

export const ALL = ["admin", "operator", "courier", "user"] as const;
const freshUser = async (c: Ctx) => (await seedUser(c.s)).id;
const SUBMITTERS = ["admin", "operator", "user"] as const;
const ANSWERERS = ["admin", "operator"] as const;

const COURIERS = ["admin", "courier"] as const;
const TRANSFER: Array<Omit<MatrixRoute, "roles">> = [
  { scope: "transfer:read", method: "GET", path: "/v1/transfer/status", ok: () => 200 },
  { scope: "transfer:write", method: "POST", path: "/v1/transfer/export", body: () => ({}), ok: () => 200 },
  { scope: "transfer:read", method: "GET", path: "/v1/transfer/outbox", ok: () => 200 },
  { scope: "transfer:read", method: "GET", path: "/v1/transfer/outbox/00000000-0000-4000-8000-000000000000", ok: () => ({ status: 404, code: "not_found" }) },
  // JSON is not a batch file: past authentication, the inbox refuses the type.
  { scope: "transfer:write", method: "POST", path: "/v1/transfer/inbox", body: () => ({}), ok: () => ({ status: 415, code: "unsupported_media_type" }) },
  { scope: "transfer:write", method: "POST", path: "/v1/transfer/import", ok: () => 200 },
  { scope: "transfer:read", method: "GET", path: "/v1/transfer/batches", ok: () => 200 },
  { scope: "transfer:write", method: "POST", path: "/v1/transfer/batches/rcv_00000000000000000000000000/retry", ok: () => ({ status: 404, code: "not_found" }) },
  { scope: "transfer:read", method: "GET", path: "/v1/transfer/dead-letters", ok: () => 200 },
];

// Webhook endpoints are served on both networks; on the response network users have none (403).
const usersOnRequestNetwork = (status: number | { status: number; code: string }) => (n: Network, role?: Role) =>
  n === "request" || role === undefined || role === "admin" || role === "operator" ? status : { status: 403, code: "forbidden" };
const hook = async (c: Ctx) => (await seedEndpoint(c.s, c.caller.id, { events: [c.s.config.role === "request" ? "request.answered" : "alert.firing"] })).id;
const WEBHOOKS: Array<Omit<MatrixRoute, "roles">> = [
  {
    scope: "webhooks:write",
    method: "POST",
    path: "/v1/webhooks",
    body: (c) => ({ url: "https://example.com/hook", events: [c.s.config.role === "request" ? "request.answered" : "alert.firing"] }),
    ok: usersOnRequestNetwork(201),
  },
  { scope: "webhooks:read", method: "GET", path: "/v1/webhooks", ok: usersOnRequestNetwork(200) },
  { scope: "webhooks:read", method: "GET", path: async (c) => `/v1/webhooks/${await hook(c)}`, ok: usersOnRequestNetwork(200) },
  { scope: "webhooks:write", method: "PATCH", path: async (c) => `/v1/webhooks/${await hook(c)}`, body: () => ({ include_answer: true }), ok: usersOnRequestNetwork(200) },
  { scope: "webhooks:write", method: "DELETE", path: async (c) => `/v1/webhooks/${await hook(c)}`, ok: usersOnRequestNetwork(200) },
  { scope: "webhooks:read", method: "GET", path: async (c) => `/v1/webhooks/${await hook(c)}/deliveries`, ok: usersOnRequestNetwork(200) },
  {
    scope: "webhooks:write",
    method: "POST",
    path: async (c) => `/v1/webhooks/${await hook(c)}/deliveries/msg_00000000000000000000000000000000/redeliver`,
    ok: usersOnRequestNetwork({ status: 404, code: "not_found" }),
  },
  { scope: "webhooks:write", method: "POST", path: async (c) => `/v1/webhooks/${await hook(c)}/rotate-secret`, body: () => ({}), ok: usersOnRequestNetwork(200) },
];

/** The one route table every security test walks. Later issues add their routes here. */
export const MATRIX: MatrixRoute[] = [
  { method: "GET", path: "/v1/me", scope: ANY_KEY, roles: ALL, ok: () => 200 },
  { method: "POST", path: "/v1/auth/logout", scope: SESSION_ONLY, roles: ALL, ok: () => 204 },
  { method: "GET", path: "/v1/admin/users", scope: "users:read", roles: ["admin"], ok: () => 200 },
  {
    method: "POST",
    path: "/v1/admin/users",
    body: () => ({ email: `new-${crypto.randomUUID()}@example.com`, name: "New", role: "user", password: "a long enough password" }),
    scope: "users:write",
    roles: ["admin"],
    ok: (n) => (n === "response" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: async (c) => `/v1/admin/users/${await freshUser(c)}`, scope: "users:read", roles: ["admin"], ok: () => 200 },
  {
    method: "PATCH",
    path: async (c) => `/v1/admin/users/${await freshUser(c)}`,
    body: () => ({ name: "Renamed" }),
    scope: "users:write",
    roles: ["admin"],
    ok: (n) => (n === "response" ? 200 : { status: 409, code: "owned_by_other_network" }),
  },
  {
    method: "DELETE",
    path: async (c) => `/v1/admin/users/${await freshUser(c)}`,
    scope: "users:write",
    roles: ["admin"],
    ok: (n) => (n === "response" ? 200 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: "/v1/api-keys", scope: SESSION_ONLY, roles: ALL, ok: () => 200 },
  {
    method: "POST",
    path: "/v1/api-keys",
    body: () => ({ name: "k" }),
    scope: SESSION_ONLY,
    roles: ALL,
    ok: (n) => (n === "request" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "DELETE", path: async (c) => `/v1/api-keys/${(await seedApiKey(c.s, c.caller.id)).id}`, scope: SESSION_ONLY, roles: ALL, ok: () => 200 },
  { method: "DELETE", path: async (c) => `/v1/admin/api-keys/${(await seedApiKey(c.s, await freshUser(c))).id}`, scope: SESSION_ONLY, roles: ["admin"], ok: () => 200 },
  { method: "GET", path: "/v1/admin/audit", scope: "audit:read", roles: ["admin"], ok: () => 200 },
  {
    method: "POST",
    path: "/v1/transfer/dead-letters/dlt_00000000000000000000000000/retry",
    scope: "transfer:write",
    roles: ["admin"],
    ok: () => ({ status: 404, code: "not_found" }),
  },
  {
    method: "POST",
    path: "/v1/transfer/outbox/999/supersede",
    body: () => ({ omit: [{ kind: "request", id: "r" }], reason: "x" }),
    scope: "transfer:write",
    roles: ["admin"],
    ok: () => ({ status: 404, code: "not_found" }),
  },
  { method: "GET", path: "/v1/admin/audit/verify", scope: "audit:read", roles: ["admin"], ok: () => 200 },
  // Requests and responses: requests belong to the request network, the queue and answers to the response network.
  {
    method: "POST",
    path: "/v1/requests",
    body: () => ({ topic: "matrix", body: { q: 1 } }),
    scope: "requests:write",
    roles: SUBMITTERS,
    ok: (n) => (n === "request" ? 202 : { status: 409, code: "owned_by_other_network" }),
  },
  { method: "GET", path: "/v1/requests", scope: "requests:read", roles: SUBMITTERS, ok: () => 200 },
  // Without q, past authentication, the search service refuses the empty query.
  { method: "GET", path: "/v1/search", scope: "requests:read", roles: SUBMITTERS, ok: () => ({ status: 400, code: "search_query_invalid" }) },
  { method: "GET", path: async (c) => `/v1/requests/${(await seedRequest(c.s, c.caller.id)).id}`, scope: "requests:read", roles: SUBMITTERS, ok: () => 200 },
  {
    method: "POST",
    path: async (c) => `/v1/requests/${(await seedRequest(c.s, c.caller.id)).id}/cancel`,
    scope: "requests:write",
    roles: SUBMITTERS,
    ok: (n) => (n === "request" ? 200 : { status: 409, code: "owned_by_other_network" }),
  },
  {
    method: "GET",
    path: async (c) => `/v1/requests/${(await seedRequest(c.s, c.caller.id, { answered: true })).id}/response`,
    scope: "requests:read",
    roles: SUBMITTERS,
    ok: () => 200,
  },
  { method: "GET", path: "/v1/queue", scope: "requests:read", roles: ANSWERERS, ok: (n) => (n === "response" ? 200 : { status: 404, code: "wrong_network" }) },
  {
    method: "POST",
    path: async (c) => `/v1/queue/${(await seedRequest(c.s, await freshUser(c))).id}/claim`,
    scope: "requests:write",
    roles: ANSWERERS,
    ok: (n) => (n === "response" ? 200 : { status: 404, code: "wrong_network" }),
  },
  {
    method: "POST",
    path: async (c) => `/v1/requests/${(await seedRequest(c.s, await freshUser(c))).id}/response`,
    body: () => ({ body: { a: 1 } }),
    scope: "requests:write",
    roles: ANSWERERS,
    ok: (n) => (n === "response" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  {
    method: "POST",
    path: async (c) => `/v1/requests/${(await seedRequest(c.s, await freshUser(c))).id}/reject`,
    body: () => ({ reason: "matrix" }),
    scope: "requests:write",
    roles: ANSWERERS,
    ok: (n) => (n === "response" ? 201 : { status: 409, code: "owned_by_other_network" }),
  },
  // Webhooks: users' on the request network, operators' and admins' on both; API keys with the webhooks scopes may manage them.
  ...WEBHOOKS.map((r) => ({ ...r, roles: SUBMITTERS })),
  { method: "GET", path: "/v1/admin/cache/stats", scope: "cache:read", roles: ["admin"], ok: () => 200 },
  { method: "GET", path: "/v1/admin/cache/health", scope: "cache:read", roles: ["admin"], ok: () => 200 },
  { method: "DELETE", path: "/v1/admin/cache", scope: "cache:write", roles: ["admin"], ok: () => 200 },
  { method: "DELETE", path: async (c) => `/v1/admin/cache/users/${await freshUser(c)}`, scope: "cache:write", roles: ["admin"], ok: () => 200 },
  { method: "POST", path: "/v1/admin/cache/invalidate", body: () => ({ pattern: "resp:*" }), scope: "cache:write", roles: ["admin"], ok: () => 200 },
  { method: "GET", path: async (c) => `/v1/admin/rate-limits/${await freshUser(c)}`, scope: "rate-limits:read", roles: ["admin"], ok: () => 200 },
  { method: "DELETE", path: async (c) => `/v1/admin/rate-limits/${await freshUser(c)}`, scope: "rate-limits:write", roles: ["admin"], ok: () => 204 },
  // Transfer: admins, couriers and the courier token.
  ...TRANSFER.map((r) => ({ ...r, roles: COURIERS, courierToken: true })),
  { method: "GET", path: "/v1/admin/stats", scope: "stats:read", roles: ["admin"], ok: () => 200 },
  // Prometheus scrapes both networks: admins, operators and the metrics token.
  { method: "GET", path: "/metrics", scope: "metrics:read", roles: ANSWERERS, metricsToken: true, ok: () => 200 },
];
