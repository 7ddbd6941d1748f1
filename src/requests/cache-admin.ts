import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { audit, type AuditInput } from "../audit/audit.ts";
import { getUser } from "../identity/users.ts";
import { CACHE_PREFIX, clearAll, clearUser, invalidatePattern, userIndexKey } from "./response-cache.ts";

/** Runs a cache administration action and audits it (success or failure); a store failure is a 503. */
export async function auditedCacheAction(
  s: Services,
  actor: Omit<AuditInput, "action">,
  action: string,
  target: { type: string; id: string | null },
  details: Record<string, unknown>,
  fn: () => Promise<number>,
): Promise<number> {
  const base = { ...actor, action, targetType: target.type, targetId: target.id };
  let deleted: number;
  try {
    deleted = await fn();
  } catch (e) {
    await audit(s, { ...base, outcome: "failure", details: { ...details, error: (e as Error)?.message ?? String(e) } });
    throw new ApiError("cache_unavailable", { detail: "the cache store did not answer; nothing or only part was deleted, try again", headers: { "Retry-After": "5" } });
  }
  await audit(s, { ...base, details: { ...details, deleted } });
  return deleted;
}

/** The prefix of every cache key of this network, as stored. */
export const cacheNamespace = (s: Services) => `airlock:${s.config.networkId}:${CACHE_PREFIX}`;

type Actor = Omit<AuditInput, "action">;

/** Every cache entry of this network (never the whole store): the deleted count and the scope. DELETE /v1/admin/cache and the console. */
export async function clearCacheAll(s: Services, actor: Actor): Promise<{ deleted: number; scope: string }> {
  const scope = `${cacheNamespace(s)}*`;
  const deleted = await auditedCacheAction(s, actor, "cache.clear", { type: "cache", id: null }, { scope }, () => clearAll(s));
  return { deleted, scope };
}

/** One user's entries (404 for an unknown user). DELETE /v1/admin/cache/users/{id} and the console. */
export async function clearCacheUser(s: Services, actor: Actor, userId: string): Promise<{ deleted: number; scope: string }> {
  if (!(await getUser(s, userId))) throw new ApiError("not_found", { detail: "no such user" });
  const scope = cacheNamespace(s).replace(/cache:$/, "") + userIndexKey(userId);
  const deleted = await auditedCacheAction(s, actor, "cache.clear_user", { type: "user", id: userId }, {}, () => clearUser(s, userId));
  return { deleted, scope };
}

/** The entries whose keys match `pattern` (already checked against PATTERN_RE). POST /v1/admin/cache/invalidate and the console. */
export async function invalidateCache(s: Services, actor: Actor, pattern: string): Promise<{ deleted: number; scope: string }> {
  const scope = cacheNamespace(s) + pattern;
  const deleted = await auditedCacheAction(s, actor, "cache.invalidate", { type: "cache", id: null }, { pattern, scope }, () => invalidatePattern(s, pattern));
  return { deleted, scope };
}
