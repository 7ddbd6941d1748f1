import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { App } from "../../../http/router.ts";
import type { HonoEnv } from "../../../env.ts";
import { ApiError, problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { actorOf, audit } from "../../../audit/audit.ts";
import { CACHE_PREFIX, clearAll } from "../../../requests/response-cache.ts";
import { CacheClearedSchema } from "./schemas.ts";

/** Runs a cache administration action and audits it (success or failure); a store failure is a 503. */
export async function auditedCacheAction(
  c: Context<HonoEnv>,
  action: string,
  target: { type: string; id: string | null },
  details: Record<string, unknown>,
  fn: () => Promise<number>,
): Promise<number> {
  const s = c.get("services");
  const base = { ...actorOf(c), action, targetType: target.type, targetId: target.id };
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

export const namespaceOf = (c: Context<HonoEnv>) => `airlock:${c.get("services").config.networkId}:${CACHE_PREFIX}`;

const route = createRoute({
  method: "delete",
  path: "/v1/admin/cache",
  operationId: "clearCache",
  tags: ["Cache"],
  summary: "Delete every cache entry of this network (only keys under its namespace; never the whole Redis database)",
  ...access({ roles: ["admin"], scope: "cache:write" }),
  responses: { 200: { description: "Cleared", content: { "application/json": { schema: CacheClearedSchema } } }, ...problemResponses(401, 403, 503) },
});

export function registerCacheClear(app: App) {
  app.openapi(route, async (c) => {
    const scope = `${namespaceOf(c)}*`;
    const deleted = await auditedCacheAction(c, "cache.clear", { type: "cache", id: null }, { scope }, () => clearAll(c.get("services")));
    return c.json({ deleted, scope }, 200);
  });
}
