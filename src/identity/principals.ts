import { eq } from "drizzle-orm";
import { ApiError } from "../errors.ts";
import { apiKeys } from "../../schema/index.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { timingSafeEqual } from "../lib/timing-safe.ts";
import type { Config } from "../config.ts";
import type { Principal, Role } from "./roles.ts";
import type { Services } from "../services.ts";
import { API_KEY_PREFIX } from "./api-keys.ts";
import { principalCache } from "./principal-cache.ts";

const enc = new TextEncoder();
/** last_used_at is written at most this often per key, so a busy key doesn't write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

// Prepared once: the key with its owner, and a session's account with whether the session ended.
const API_KEY_SQL =
  "select k.id as id, k.user_id as userId, k.scopes as scopes, k.rate_limits as keyRateLimits, k.expires_at as expiresAt, " +
  "k.last_used_at as lastUsedAt, k.revoked_at as revokedAt, u.status as userStatus, u.role as role, u.rate_limits as userRateLimits " +
  "from api_keys k join users u on u.id = k.user_id where k.key_hash = ?";
const SESSION_SQL =
  "select u.status as status, u.role as role, u.rate_limits as rateLimits, " +
  "exists (select 1 from refresh_tokens t where t.family_id = ? and t.revoked_at is not null) as sessionEnded from users u where u.id = ?";

interface KeyRow {
  id: string;
  userId: string;
  scopes: string;
  keyRateLimits: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  userStatus: string;
  role: Role;
  userRateLimits: string | null;
}
interface SessionRow {
  status: string;
  role: Role;
  rateLimits: string | null;
  sessionEnded: number;
}

interface ConfiguredTokens {
  courier: Uint8Array | null;
  metrics: Uint8Array | null;
  /** One principal object each per configuration (the rate limiter keeps what it works out per principal object). */
  courierPrincipal: Principal;
  metricsPrincipal: Principal;
}

// The configured tokens' digests, computed once per configuration rather than on every request.
const configured = new WeakMap<Config, Promise<ConfiguredTokens>>();
function tokenDigests(config: Config) {
  let d = configured.get(config);
  if (!d) {
    const digest = async (t: string | undefined) => (t ? enc.encode(await sha256Hex(t)) : null);
    d = Promise.all([digest(config.courierToken), digest(config.metricsToken)]).then(([courier, metrics]) => ({
      courier,
      metrics,
      courierPrincipal: { type: "courier", userId: null, role: "courier" },
      metricsPrincipal: { type: "metrics", userId: null, role: null },
    }));
    configured.set(config, d);
  }
  return d;
}

async function apiKeyPrincipal(s: Services, key: string): Promise<Principal> {
  const cache = principalCache(s);
  const hash = await sha256Hex(key);
  const now = s.clock.now();
  let entry = cache.get<{ row: KeyRow; principal: Principal }>(`k:${hash}`, now.getTime());
  if (!entry) {
    const generation = cache.generation;
    const row = await s.db.prepareRead<KeyRow>(API_KEY_SQL).get([hash]);
    if (!row) throw new ApiError("invalid_token", { detail: "unknown API key" });
    const usable = !row.revokedAt && !(row.expiresAt && row.expiresAt <= now.toISOString()) && row.userStatus === "active";
    if (usable && (!row.lastUsedAt || now.getTime() - Date.parse(row.lastUsedAt) > LAST_USED_RESOLUTION_MS)) {
      await s.db.orm.update(apiKeys).set({ lastUsedAt: now.toISOString() }).where(eq(apiKeys.id, row.id));
    }
    const principal: Principal = {
      type: "api_key",
      userId: row.userId,
      role: row.role,
      apiKeyId: row.id,
      scopes: JSON.parse(row.scopes) as string[],
      // Read here with the key, so the rate limiter needs no query of its own.
      rateLimits: row.userRateLimits,
      keyRateLimits: row.keyRateLimits,
    };
    entry = { row, principal };
    cache.set(`k:${hash}`, entry, now.getTime(), generation);
  }
  const { row } = entry;
  if (row.revokedAt) throw new ApiError("invalid_token", { detail: "this API key has been revoked" });
  if (row.expiresAt && row.expiresAt <= now.toISOString()) throw new ApiError("token_expired", { detail: "this API key has expired" });
  if (row.userStatus !== "active") throw new ApiError("invalid_token", { detail: "the key's owner is disabled" });
  return entry.principal;
}

async function jwtPrincipal(s: Services, token: string): Promise<Principal> {
  const claims = await s.tokens.verify(token, s.clock.now());
  const cache = principalCache(s);
  const now = s.clock.now().getTime();
  // Keyed by the verified claims (never the token): the account and whether this session was ended.
  const key = `s:${claims.sub}\u0000${claims.sid}`;
  let entry = cache.get<{ row: SessionRow; principal: Principal }>(key, now);
  if (!entry) {
    const generation = cache.generation;
    const row = await s.db.prepareRead<SessionRow>(SESSION_SQL).get([claims.sid, claims.sub]);
    if (!row) throw new ApiError("invalid_token", { detail: "the account is disabled or unknown" });
    entry = { row, principal: { type: "user", userId: claims.sub, role: row.role, sessionId: claims.sid, rateLimits: row.rateLimits } };
    cache.set(key, entry, now, generation);
  }
  const { row } = entry;
  // A disabled user, a changed role or a logged-out session ends the token before its expiry.
  if (row.status !== "active") throw new ApiError("invalid_token", { detail: "the account is disabled or unknown" });
  if (row.role !== claims.role) throw new ApiError("invalid_token", { detail: "the account's role has changed; log in again" });
  if (row.sessionEnded) throw new ApiError("invalid_token", { detail: "this session has ended; log in again" });
  return entry.principal;
}

/** Who a credential belongs to: an API key (ak_…), the courier token, the metrics token, or an access token; anything invalid is a 401. */
export async function principalFor(s: Services, credential: string): Promise<Principal> {
  if (credential.startsWith(API_KEY_PREFIX)) return await apiKeyPrincipal(s, credential);
  const tokens = await tokenDigests(s.config);
  if (tokens.courier || tokens.metrics) {
    // Digests compared, so the comparison takes the same time whatever the lengths.
    const digest = enc.encode(await sha256Hex(credential));
    if (tokens.courier && timingSafeEqual(digest, tokens.courier)) return tokens.courierPrincipal;
    if (tokens.metrics && timingSafeEqual(digest, tokens.metrics)) return tokens.metricsPrincipal;
  }
  return await jwtPrincipal(s, credential);
}
