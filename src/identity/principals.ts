import { eq, sql } from "drizzle-orm";
import { ApiError } from "../errors.ts";
import { apiKeys, refreshTokens, users } from "../../schema/index.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { timingSafeEqual } from "../lib/timing-safe.ts";
import type { Principal } from "./roles.ts";
import type { Services } from "../services.ts";
import { API_KEY_PREFIX } from "./api-keys.ts";

const enc = new TextEncoder();
/** last_used_at is written at most this often per key, so a busy key doesn't write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

async function tokenMatches(configured: string | undefined, credential: string): Promise<boolean> {
  if (!configured) return false;
  // Compare digests so the comparison takes the same time whatever the lengths.
  const [a, b] = await Promise.all([sha256Hex(credential), sha256Hex(configured)]);
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
  if (user?.status !== "active") throw new ApiError("invalid_token", { detail: "the account is disabled or unknown" });
  if (user.role !== claims.role) throw new ApiError("invalid_token", { detail: "the account's role has changed; log in again" });
  if (user.sessionEnded) throw new ApiError("invalid_token", { detail: "this session has ended; log in again" });
  return { type: "user", userId: claims.sub, role: user.role, sessionId: claims.sid, rateLimits: user.rateLimits };
}

/** Who a credential belongs to: an API key (ak_…), the courier token, the metrics token, or an access token; anything invalid is a 401. */
export async function principalFor(s: Services, credential: string): Promise<Principal> {
  if (credential.startsWith(API_KEY_PREFIX)) return await apiKeyPrincipal(s, credential);
  if (await tokenMatches(s.config.courierToken, credential)) return { type: "courier", userId: null, role: "courier" };
  if (await tokenMatches(s.config.metricsToken, credential)) return { type: "metrics", userId: null, role: null };
  return await jwtPrincipal(s, credential);
}
