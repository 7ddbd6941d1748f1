// The auth matrix's API key columns: what a key may do is what its scopes name, within its
// owner's role, and the OpenAPI document says the same as the guard enforces.
import { expect } from "vitest";
import { eq } from "drizzle-orm";
import type { AirlockApp } from "../../src/app.ts";
import type { Role } from "../../src/identity/roles.ts";
import type { Services } from "../../src/services.ts";
import { apiKeys, refreshTokens } from "../../schema/index.ts";
import { CATALOG, type ErrorCode } from "../../src/errors.ts";
import { ANY_KEY, SCOPE_NAMES, SESSION_ONLY, isScope } from "../../src/identity/scopes.ts";
import { expectProblem } from "./harness.ts";
import { seedApiKey, seedSession, seedUser } from "../helpers/identity-fixtures.ts";
import { ALL, MATRIX, type Ctx, type MatrixRoute, type Network } from "./auth-matrix.routes.ts";

const FORBIDDEN = { status: 403, code: "forbidden", title: "Forbidden" };
const KEYS_REFUSED = "API keys cannot do this; log in with your password";

export async function call(app: AirlockApp, r: MatrixRoute, ctx: Ctx, headers: Record<string, string>) {
  const path = typeof r.path === "string" ? r.path : await r.path(ctx);
  const body = r.body?.(ctx);
  const res = await app.request(
    path,
    { method: r.method, headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined },
    {},
  );
  return { res, path };
}

async function expectAllowed(res: Response, path: string, r: MatrixRoute, network: Network, what: string, role?: Role) {
  const want = r.ok(network, role);
  if (typeof want === "number") expect(res.status, `${what}: ${await res.clone().text()}`).toBe(want);
  else await expectProblem(res, { status: want.status, code: want.code, title: CATALOG[want.code as ErrorCode].title, instance: path }, (v) => expect(v, what));
}

/**
 * For one route: a key of every role holding exactly the scope the route names (none for
 * ANY_KEY routes, every scope for SESSION_ONLY ones), then keys of an allowed role holding
 * every other scope, and no scope at all.
 */
export async function scopedKeyColumn(app: AirlockApp, s: Services, r: MatrixRoute, network: Network, label: string) {
  for (const role of ALL) {
    const owner = await seedUser(s, { role });
    const scopes = r.scope === ANY_KEY ? [] : r.scope === SESSION_ONLY ? [...SCOPE_NAMES] : [r.scope];
    const key = await seedApiKey(s, owner.id, { scopes });
    const what = `${label}: ${role}'s key with ${scopes.length ? scopes.join(" ") : "no scopes"}`;
    const { res, path } = await call(app, r, { s, caller: owner }, { "x-api-key": key.key });
    if (!r.roles.includes(role)) await expectProblem(res, { ...FORBIDDEN, instance: path, detail: /^this needs one of the roles: / }, (v) => expect(v, what));
    else if (r.scope === SESSION_ONLY) await expectProblem(res, { ...FORBIDDEN, instance: path, detail: KEYS_REFUSED }, (v) => expect(v, what));
    else await expectAllowed(res, path, r, network, what, role);
  }
  if (!isScope(r.scope)) return;
  const owner = await seedUser(s, { role: r.roles[0] });
  for (const scopes of [SCOPE_NAMES.filter((x) => x !== r.scope), []]) {
    const key = await seedApiKey(s, owner.id, { scopes });
    const what = `${label}: ${r.roles[0]}'s key with ${scopes.length ? "every other scope" : "no scopes"}`;
    const { res, path } = await call(app, r, { s, caller: owner }, { authorization: `Bearer ${key.key}` });
    await expectProblem(res, { ...FORBIDDEN, instance: path, detail: `this API key lacks the scope ${r.scope}` }, (v) => expect(v, what));
  }
}

/** Every guarded operation of the document is exactly one matrix row, with the same roles, courier and metrics tokens and scope. */
export async function matrixMatchesDocument(app: AirlockApp, s: Services) {
  type Op = { security?: unknown; description?: string; "x-airlock-scope"?: string };
  const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, Record<string, Op>> };
  const ops = Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods)
      .filter(([, op]) => Array.isArray(op.security) && op.security.length > 0) // public operations declare security: []
      .map(([method, op]) => ({ name: `${method.toUpperCase()} ${template}`, method: method.toUpperCase(), re: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`), op })),
  );
  const admin = await seedUser(s, { role: "admin" });
  const covered = new Set<string>();
  for (const r of MATRIX) {
    const path = typeof r.path === "string" ? r.path : await r.path({ s, caller: admin });
    const matches = ops.filter((o) => o.method === r.method && o.re.test(path));
    // A route the other network serves is not in this network's document (it answers a problem here).
    const ok = r.ok(s.config.role);
    if (typeof ok === "object" && (ok.code === "owned_by_other_network" || ok.code === "wrong_network") && matches.length === 0) continue;
    expect(
      matches.map((m) => m.name),
      `${r.method} ${path}`,
    ).toHaveLength(1);
    const [{ name, op }] = matches;
    covered.add(name);
    expect(op["x-airlock-scope"], name).toBe(r.scope);
    const who = op.description!.match(/^Access: ([^;]+);/)![1].split(", ");
    expect(who.filter((w) => w !== "the courier token" && w !== "the metrics token").sort(), name).toEqual([...r.roles].sort());
    expect(who.includes("the courier token"), name).toBe(Boolean(r.courierToken));
    expect(who.includes("the metrics token"), name).toBe(Boolean(r.metricsToken));
  }
  expect(ops.map((o) => o.name).filter((n) => !covered.has(n))).toEqual([]);
  for (const op of ops) expect(isScope(op.op["x-airlock-scope"]!) || [ANY_KEY, SESSION_ONLY].includes(op.op["x-airlock-scope"]!), op.name).toBe(true);
}

/** A user's key with every scope a user can hold still cannot end sessions or touch other keys; nothing changes. */
export async function keysNeverManageSessionsOrKeys(app: AirlockApp, s: Services) {
  const me = await seedSession(s, { role: "user" });
  const key = await seedApiKey(s, me.user.id, { scopes: ["requests:read", "requests:write"] });
  const other = await seedApiKey(s, me.user.id, { scopes: ["requests:read"] });
  const send = (path: string, init: RequestInit = {}, headers: Record<string, string> = { "x-api-key": key.key }) =>
    app.request(path, { ...init, headers: { "content-type": "application/json", ...headers } }, {});
  for (const [method, path, body] of [
    ["POST", "/v1/auth/logout", { all_sessions: true, refresh_token: me.tokens.refresh_token }],
    ["POST", "/v1/auth/logout", undefined],
    ["DELETE", `/v1/api-keys/${other.id}`, undefined],
    ["GET", "/v1/api-keys", undefined],
    ["POST", "/v1/api-keys", { name: "minted", scopes: ["requests:read"] }],
  ] as const) {
    const res = await send(path, { method, body: body ? JSON.stringify(body) : undefined });
    await expectProblem(res, { ...FORBIDDEN, instance: path, detail: KEYS_REFUSED }, (v) => expect(v, `${method} ${path}`));
  }
  // The session, its refresh token and the other key all still work; no key was made.
  expect((await send("/v1/me", {}, { authorization: me.auth })).status).toBe(200);
  expect(await s.db.orm.select().from(refreshTokens).where(eq(refreshTokens.userId, me.user.id)).all()).toEqual([expect.objectContaining({ revokedAt: null })]);
  expect((await send("/v1/me", {}, { "x-api-key": other.key })).status).toBe(200);
  const keys = await s.db.orm.select().from(apiKeys).where(eq(apiKeys.userId, me.user.id)).all();
  expect(keys.map((k) => [k.id, k.revokedAt]).sort()).toEqual(
    [
      [key.id, null],
      [other.id, null],
    ].sort(),
  );
  // A key may identify itself, and nothing more than its scopes.
  const meByKey = (await (await send("/v1/me")).json()) as { auth: unknown };
  expect(meByKey.auth).toEqual({ type: "api_key", api_key_id: key.id, scopes: ["requests:read", "requests:write"] });
}

/** Key creation (request network): scopes beyond the owner's role are refused, the role's are kept as given. */
export async function keyCreationWithinRole(app: AirlockApp, s: Services) {
  const post = (auth: string, body: unknown) =>
    app.request("/v1/api-keys", { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify(body) }, {});
  const user = await seedSession(s, { role: "user" });
  const refused = await post(user.auth, { name: "too much", scopes: ["requests:read", "audit:read", "transfer:write"] });
  const body = await expectProblem(
    refused,
    { status: 400, code: "validation_failed", title: "Validation failed", instance: "/v1/api-keys", detail: "a user's key cannot hold audit:read, transfer:write" },
    expect,
  );
  expect(body.errors).toEqual([
    { pointer: "/scopes/1", detail: "not available to the role user" },
    { pointer: "/scopes/2", detail: "not available to the role user" },
  ]);
  expect(await s.db.orm.select().from(apiKeys).where(eq(apiKeys.userId, user.user.id)).all()).toEqual([]);
  const unknown = await post(user.auth, { name: "x", scopes: ["admin:everything"] });
  expect(unknown.status).toBe(400);
  const courier = await seedSession(s, { role: "courier" });
  const made = await post(courier.auth, { name: "ferry", scopes: ["transfer:write", "transfer:read"] });
  expect(made.status).toBe(201);
  expect(((await made.json()) as { scopes: string[] }).scopes).toEqual(["transfer:read", "transfer:write"]);
}
