import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { audit, type AuditInput } from "../audit/audit.ts";
import { CACHE_PREFIX } from "./response-cache.ts";

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
