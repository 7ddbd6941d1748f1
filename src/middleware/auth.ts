import type { MiddlewareHandler } from "hono";
import { eq, sql } from "drizzle-orm";
import type { HonoEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { apiKeys, refreshTokens, users } from "../../schema/index.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { timingSafeEqual } from "../lib/timing-safe.ts";
import type { Principal, Role } from "../identity/roles.ts";
import { ANY_KEY, SESSION_ONLY, describeScopeRule, type ScopeRule } from "../identity/scopes.ts";
import type { Services } from "../services.ts";

const enc = new TextEncoder();
/** last_used_at is written at most this often per key, so a busy key doesn't write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function credentialOf(req: Request): string | undefined {
  const auth = req.headers.get("authorization");
  if (auth !== null) {
    const m = auth.match(/^Bearer\s+(\S+)\s*$/i);
    if (!m) throw new ApiError("invalid_token", { detail: "Authorization must be 'Bearer <token>'", headers: { "WWW-Authenticate": 'Bearer error="invalid_request"' } });
    return m[1];
  }
  return req.headers.get("x-api-key") ?? undefined;
}

async function courierMatches(s: Services, credential: string): Promise<boolean> {
  if (!s.config.courierToken) return false;
  // Compare digests so the comparison takes the same time whatever the lengths.
  const [a, b] = await Promise.all([sha256Hex(credential), sha256Hex(s.config.courierToken)]);
  return timingSafeEqual(enc.encode(a), enc.encode(b));
}

async function apiKeyPrincipal(s: Services, key: string): Promise<Principal> {
  const row = await s.db.orm
    .select({ key: apiKeys, userStatus: users.status, role: users.role, userRateLimits: users.rateLimits })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, await sha256Hex(key)))
    .get();
  const now = s.clock.now();
  if (!row) throw new ApiError("invalid_token", { detail: "unknown API key" });
  if (row.key.revokedAt) throw new ApiError("invalid_token", { detail: "this API key has been revoked" });
  if (row.key.expiresAt && row.key.expiresAt <= now.toISOString()) throw new ApiError("token_expired", { detail: "this API key has expired" });
  if (row.userStatus !== "active") throw new ApiError("invalid_token", { detail: "the key's owner is disabled" });
  if (!row.key.lastUsedAt || now.getTime() - Date.parse(row.key.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
    await s.db.orm.update(apiKeys).set({ lastUsedAt: now.toISOString() }).where(eq(apiKeys.id, row.key.id));
  }
  return {
    type: "api_key",
    userId: row.key.userId,
    role: row.role,
    apiKeyId: row.key.id,
    scopes: JSON.parse(row.key.scopes) as string[],
    // Read here with the key, so the rate limiter needs no query of its own.
    rateLimits: row.userRateLimits,
    keyRateLimits: row.key.rateLimits,
  };
}

async function jwtPrincipal(s: Services, token: string): Promise<Principal> {
  const claims = await s.tokens.verify(token, s.clock.now());
  // One round trip on every authenticated request: the account and whether this session was ended.
  const user = await s.db.orm
    .select({
      status: users.status,
      role: users.role,
      rateLimits: users.rateLimits,
      sessionEnded: sql<number>`exists (select 1 from ${refreshTokens} where ${refreshTokens.familyId} = ${claims.sid} and ${refreshTokens.revokedAt} is not null)`,
    })
    .from(users)
    .where(eq(users.id, claims.sub))
    .get();
  // A disabled user, a changed role or a logged-out session ends the token before its expiry.
  if (!user || user.status !== "active") throw new ApiError("invalid_token", { detail: "the account is disabled or unknown" });
  if (user.role !== claims.role) throw new ApiError("invalid_token", { detail: "the account's role has changed; log in again" });
  if (user.sessionEnded) throw new ApiError("invalid_token", { detail: "this session has ended; log in again" });
  return { type: "user", userId: claims.sub, role: user.role, sessionId: claims.sid, rateLimits: user.rateLimits };
}

/** Reads credentials when present: valid ones set the principal, invalid ones end the request with 401. */
export function authenticate(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const credential = credentialOf(c.req.raw);
    if (credential !== undefined) {
      const s = c.get("services");
      const principal = credential.startsWith("ak_")
        ? await apiKeyPrincipal(s, credential)
        : (await courierMatches(s, credential))
          ? ({ type: "courier", userId: null, role: "courier" } as const)
          : await jwtPrincipal(s, credential);
      c.set("principal", principal);
      Object.assign(c.get("logFields"), { user_id: principal.userId ?? undefined, auth: principal.type });
    }
    await next();
  };
}

export interface AccessPolicy {
  roles: readonly Role[];
  /**
   * What an API key needs here (src/identity/scopes.ts): a scope it must hold, ANY_KEY, or
   * SESSION_ONLY. Deny by default: a policy that names none refuses every key.
   */
  scope: ScopeRule;
  /** Whether the courier token is accepted (transfer routes only). */
  courierToken?: boolean;
}

/** Every route declares who may call it with this middleware. */
export function allow(policy: AccessPolicy): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const p = c.get("principal");
    if (!p) throw new ApiError("unauthorized", { detail: "send an access token or API key", headers: { "WWW-Authenticate": 'Bearer realm="airlock"' } });
    if (p.type === "courier" && !policy.courierToken) throw new ApiError("forbidden", { detail: "the courier token may only move batches" });
    if (!policy.roles.includes(p.role)) throw new ApiError("forbidden", { detail: `this needs one of the roles: ${policy.roles.join(", ")}` });
    if (p.type === "api_key") {
      const rule: ScopeRule | undefined = policy.scope;
      if (rule === undefined || rule === SESSION_ONLY) throw new ApiError("forbidden", { detail: "API keys cannot do this; log in with your password" });
      if (rule !== ANY_KEY && !p.scopes.includes(rule)) throw new ApiError("forbidden", { detail: `this API key lacks the scope ${rule}` });
    }
    await next();
  };
}

/**
 * What a route spreads into its createRoute config: the guard, and the same
 * policy in the OpenAPI document (security scheme and the roles), so the
 * document cannot drift from what is enforced.
 */
export function access(policy: AccessPolicy): {
  middleware: MiddlewareHandler<HonoEnv>[];
  security: Array<Record<string, string[]>>;
  description: string;
  "x-airlock-scope": ScopeRule;
} {
  const who = [...policy.roles, ...(policy.courierToken ? ["the courier token"] : [])].join(", ");
  return {
    middleware: [allow(policy)],
    security: [{ bearer: [] }],
    description: `Access: ${who}; ${describeScopeRule(policy.scope)}.`,
    "x-airlock-scope": policy.scope,
  };
}

export const ANY_ROLE = ["admin", "operator", "courier", "user"] as const;

/** The principal of a route guarded by `allow` (it is always set there). */
export function principalOf(c: { get(k: "principal"): Principal | undefined }): Principal {
  const p = c.get("principal");
  if (!p) throw new ApiError("unauthorized");
  return p;
}
