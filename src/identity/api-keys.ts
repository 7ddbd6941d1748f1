import { z } from "zod";
import { and, count, eq, isNull, sql, type SQL } from "drizzle-orm";
import { apiKeys } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { newId } from "../lib/ids.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import { outboxInsert } from "../transfer/outbox.ts";
import { writeWithAudit, type AuditInput } from "../audit/audit.ts";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import type { Statement } from "../deps/db/database.ts";
import { scopesBeyondRole } from "./scopes.ts";
import { forgetPrincipals } from "./principal-cache.ts";
import type { Principal, Role } from "./roles.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export const API_KEY_PREFIX = "ak_";
export const MAX_ACTIVE_KEYS_PER_USER = 25;

export function publicApiKey(k: ApiKeyRow) {
  return {
    id: k.id,
    user_id: k.userId,
    name: k.name,
    prefix: k.prefix,
    scopes: JSON.parse(k.scopes) as string[],
    expires_at: k.expiresAt,
    last_used_at: k.lastUsedAt,
    created_at: k.createdAt,
    revoked_at: k.revokedAt,
  };
}

/** What travels to the master (for audit): never the hash, which only the request network needs. */
export const apiKeyRecord = (k: ApiKeyRow) => {
  const { keyHash: _hash, ...rest } = k;
  return rest;
};

export interface CreateApiKeyInput {
  name: string;
  scopes?: string[];
  expires_at?: string;
}

/**
 * A key for the caller themself (the API's create and the console's). Keys are made by people
 * who logged in, not by other keys or the courier token. `also` builds statements that commit
 * in the same batch as the key (the console's one-time form token).
 */
export function createOwnApiKey(
  s: Services,
  p: Principal,
  input: CreateApiKeyInput,
  auditBase: Omit<AuditInput, "action">,
  also?: (row: ApiKeyRow) => Statement[],
): Promise<{ row: ApiKeyRow; key: string }> {
  if (p.type !== "user") throw new ApiError("forbidden", { detail: "log in with your password to create API keys" });
  return createApiKey(s, { id: p.userId, role: p.role }, input, auditBase, also);
}

export async function createApiKey(
  s: Services,
  owner: { id: string; role: Role },
  input: CreateApiKeyInput,
  auditBase: Omit<AuditInput, "action">,
  also?: (row: ApiKeyRow) => Statement[],
): Promise<{ row: ApiKeyRow; key: string }> {
  if (s.config.role !== "request") {
    throw new ApiError("owned_by_other_network", { detail: "API keys are created on the request network" });
  }
  const now = s.clock.now();
  if (input.expires_at && Date.parse(input.expires_at) <= now.getTime()) {
    throw new ApiError("validation_failed", { detail: "expires_at must be in the future", errors: [{ pointer: "/expires_at", detail: "must be in the future" }] });
  }
  const beyond = scopesBeyondRole(input.scopes ?? [], owner.role);
  if (beyond.length) {
    throw new ApiError("validation_failed", {
      detail: `a ${owner.role}'s key cannot hold ${beyond.join(", ")}`,
      errors: beyond.map((sc) => ({ pointer: `/scopes/${(input.scopes ?? []).indexOf(sc)}`, detail: `not available to the role ${owner.role}` })),
    });
  }
  const userId = owner.id;
  const active = await s.db.orm
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .get();
  if ((active?.n ?? 0) >= MAX_ACTIVE_KEYS_PER_USER) throw new ApiError("conflict", { detail: `at most ${MAX_ACTIVE_KEYS_PER_USER} active keys per user; revoke one first` });
  const key = API_KEY_PREFIX + randomToken(32);
  const row: ApiKeyRow = {
    id: newId("key"),
    userId,
    name: input.name,
    prefix: key.slice(0, API_KEY_PREFIX.length + 8),
    keyHash: await sha256Hex(key),
    scopes: JSON.stringify([...new Set(input.scopes ?? [])].sort()),
    rateLimits: null,
    expiresAt: input.expires_at ? new Date(input.expires_at).toISOString() : null,
    lastUsedAt: null,
    createdAt: now.toISOString(),
    revokedAt: null,
    revokedBy: null,
    version: 1,
  };
  await writeWithAudit(
    s,
    [{ ...auditBase, action: "api_key.create", targetType: "api_key", targetId: row.id, details: { owner: userId, prefix: row.prefix, scopes: JSON.parse(row.scopes) } }],
    [s.db.orm.insert(apiKeys).values(row), outboxInsert(s, "api_key", row.id, row.version, apiKeyRecord(row)), ...(also?.(row) ?? [])],
  );
  return { row, key };
}

export async function getApiKey(s: Services, id: string) {
  return s.db.orm.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
}

/** A key `viewer` may manage: their own; an admin's, anyone's. Someone else's is "not found", so ids cannot be probed. */
export async function visibleApiKey(s: Services, viewer: Principal, id: string): Promise<ApiKeyRow> {
  const key = await getApiKey(s, id);
  if (!key || (viewer.role !== "admin" && key.userId !== viewer.userId)) throw new ApiError("not_found", { detail: "no such API key" });
  return key;
}

const NEWEST_FIRST = keyset<ApiKeyRow>([
  { name: "c", column: apiKeys.createdAt, order: "desc", cursor: z.string(), of: (k) => k.createdAt },
  { name: "i", column: apiKeys.id, order: "desc", cursor: z.string(), of: (k) => k.id },
]);

/** API keys, newest first, revoked ones only when asked: the viewer's own; an admin's choice of `userId` (everyone's without one). */
export function listApiKeys(s: Services, viewer: Principal, f: { userId?: string; includeRevoked: boolean }, req: PageRequest): Promise<Page<ApiKeyRow>> {
  // Others' keys are visible to admins only; for anyone else user_id is their own.
  const owner = viewer.role === "admin" ? f.userId : (viewer.userId ?? "");
  const where: Array<SQL | undefined> = [owner ? eq(apiKeys.userId, owner) : undefined, f.includeRevoked ? undefined : isNull(apiKeys.revokedAt)];
  return NEWEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(apiKeys)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}

/**
 * Revocation is one-way and either network may do it; it travels to the other.
 * Revoking a revoked key changes nothing and answers the key as it is.
 */
export async function revokeApiKey(s: Services, key: ApiKeyRow, auditBase: Omit<AuditInput, "action">): Promise<ApiKeyRow> {
  if (key.revokedAt) return key;
  const next: ApiKeyRow = { ...key, revokedAt: s.clock.now().toISOString(), revokedBy: auditBase.actorId ?? auditBase.actorType, version: key.version + 1 };
  const kind = s.config.role === "request" ? ("api_key" as const) : ("api_key_revocation" as const);
  const payload = kind === "api_key" ? apiKeyRecord(next) : { id: next.id, revoked_at: next.revokedAt, revoked_by: next.revokedBy };
  try {
    await writeWithAudit(
      s,
      [{ ...auditBase, action: "api_key.revoke", targetType: "api_key", targetId: key.id, details: { owner: key.userId, prefix: key.prefix } }],
      [
        ...guard(s.db, sql`exists (select 1 from api_keys where id = ${key.id} and revoked_at is null)`),
        s.db.orm.update(apiKeys).set({ revokedAt: next.revokedAt, revokedBy: next.revokedBy, version: next.version }).where(eq(apiKeys.id, key.id)),
        outboxInsert(s, kind, key.id, next.version, payload),
      ],
    );
  } catch (e) {
    if (isGuardFailure(e)) return (await getApiKey(s, key.id)) ?? next; // revoked concurrently: same end state
    throw e;
  } finally {
    forgetPrincipals(s);
  }
  return next;
}

/** Revokes every active key of a user, one by one through revokeApiKey (each audited and sent across); answers how many. */
export async function revokeUserApiKeys(s: Services, userId: string, auditBase: Omit<AuditInput, "action">): Promise<number> {
  // A user has at most MAX_ACTIVE_KEYS_PER_USER active keys; the loop also ends if more ever arrive.
  const active = await s.db.orm
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .limit(MAX_ACTIVE_KEYS_PER_USER * 4)
    .all();
  for (const key of active) await revokeApiKey(s, key, auditBase);
  return active.length;
}
