import { and, eq, isNull } from "drizzle-orm";
import { refreshTokens, users } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { newId } from "../lib/ids.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import type { UserRow } from "./users.ts";
import { forgetPrincipals } from "./principal-cache.ts";

export const REFRESH_PREFIX = "rt_";

export interface TokenPair {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
}

async function newRefreshToken(s: Services, userId: string, familyId: string) {
  const token = REFRESH_PREFIX + randomToken(32);
  const now = s.clock.now();
  const row = {
    id: newId("rt"),
    familyId,
    userId,
    tokenHash: await sha256Hex(token),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + s.config.jwt.refreshTtlSeconds * 1000).toISOString(),
  };
  return { token, row };
}

async function pair(s: Services, user: Pick<UserRow, "id" | "role">, familyId: string, refresh: string): Promise<TokenPair> {
  const access = await s.tokens.issue({ sub: user.id, role: user.role, sid: familyId }, s.clock.now());
  return { access_token: access, token_type: "Bearer", expires_in: s.tokens.ttl, refresh_token: refresh };
}

/** A login: a new token family. */
export async function startSession(s: Services, user: Pick<UserRow, "id" | "role">): Promise<TokenPair> {
  const familyId = newId("fam");
  const { token, row } = await newRefreshToken(s, user.id, familyId);
  await s.db.orm.insert(refreshTokens).values(row);
  return pair(s, user, familyId, token);
}

export async function revokeFamily(s: Services, familyId: string) {
  await s.db.orm
    .update(refreshTokens)
    .set({ revokedAt: s.clock.now().toISOString() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  forgetPrincipals(s);
}

export async function revokeAllSessions(s: Services, userId: string) {
  await s.db.orm
    .update(refreshTokens)
    .set({ revokedAt: s.clock.now().toISOString() })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
  forgetPrincipals(s);
}

export type RefreshOutcome =
  | { ok: true; userId: string; familyId: string; tokens: (user: Pick<UserRow, "id" | "role">) => Promise<TokenPair> }
  | { ok: false; reuse: boolean; userId?: string; familyId?: string };

/**
 * Rotates a refresh token. Using one that was already used means it leaked:
 * the whole family is revoked, ending the thief's and the owner's sessions.
 */
export async function rotateRefreshToken(s: Services, token: string): Promise<RefreshOutcome> {
  if (!token.startsWith(REFRESH_PREFIX)) return { ok: false, reuse: false };
  const row = await s.db.orm
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await sha256Hex(token)))
    .get();
  if (!row || row.revokedAt) return { ok: false, reuse: false, userId: row?.userId, familyId: row?.familyId };
  const now = s.clock.now().toISOString();
  if (row.expiresAt <= now) throw new ApiError("token_expired", { detail: "the refresh token has expired; log in again" });
  // Mark used only if still unused: of two concurrent uses, exactly one wins.
  const claimed = await s.db.orm
    .update(refreshTokens)
    .set({ usedAt: now })
    .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.usedAt)))
    .returning({ id: refreshTokens.id });
  if (!claimed.length) {
    await revokeFamily(s, row.familyId);
    return { ok: false, reuse: true, userId: row.userId, familyId: row.familyId };
  }
  return {
    ok: true,
    userId: row.userId,
    familyId: row.familyId,
    tokens: async (user) => {
      const next = await newRefreshToken(s, user.id, row.familyId);
      await s.db.orm.insert(refreshTokens).values(next.row);
      return pair(s, user, row.familyId, next.token);
    },
  };
}

/** The family a refresh token belongs to (for logout), or undefined. */
export async function familyOf(s: Services, token: string) {
  const row = await s.db.orm
    .select({ familyId: refreshTokens.familyId, userId: refreshTokens.userId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await sha256Hex(token)))
    .get();
  return row;
}

/**
 * A fresh access token for a session whose refresh token never leaves the server's side of a
 * browser (the console's HttpOnly cookie). The refresh token must be unrevoked, unused and
 * unexpired, and is not rotated: a browser loads pages concurrently, and rotation would make
 * two tabs look like a stolen token. Whether the account may still act is then decided where it
 * always is, when the token is verified (src/identity/principals.ts).
 */
export async function accessTokenForSession(s: Services, refreshToken: string): Promise<string | undefined> {
  if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 256) return undefined;
  const row = await s.db.orm
    .select({
      userId: refreshTokens.userId,
      familyId: refreshTokens.familyId,
      revokedAt: refreshTokens.revokedAt,
      usedAt: refreshTokens.usedAt,
      expiresAt: refreshTokens.expiresAt,
      role: users.role,
    })
    .from(refreshTokens)
    .innerJoin(users, eq(users.id, refreshTokens.userId))
    .where(eq(refreshTokens.tokenHash, await sha256Hex(refreshToken)))
    .get();
  const now = s.clock.now();
  if (!row || row.revokedAt || row.usedAt || row.expiresAt <= now.toISOString()) return undefined;
  return s.tokens.issue({ sub: row.userId, role: row.role, sid: row.familyId }, now);
}
