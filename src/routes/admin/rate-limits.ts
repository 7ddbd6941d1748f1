import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { App } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { apiKeys, users } from "../../../schema/index.ts";
import { actorOf, audit } from "../../audit/audit.ts";
import { guarded, keyLimits, quotaOf, userLimits, type ResolvedLimits } from "../../middleware/rate-limit.ts";
import { accountSubject, FAILURE_WINDOW } from "../../middleware/login-guard.ts";
import { WINDOWS } from "../../limits/policy.ts";

const WindowUse = z.object({
  window: z.enum(WINDOWS),
  limit: z.number().int(),
  window_seconds: z.number().int(),
  source: z.enum(["role_default", "user_override", "key_override"]).openapi({ description: "Where the limit comes from" }),
  used: z.number().int().openapi({ description: "Requests counted in the sliding window now" }),
  remaining: z.number().int(),
  resets_at: z.string().openapi({ description: "End of the current bucket (the sliding window keeps weighing it after that)" }),
});

export const RateLimitStatusSchema = z
  .object({
    user_id: z.string(),
    role: z.string(),
    identity: z.string(),
    windows: z.array(WindowUse),
    api_keys: z.array(z.object({ id: z.string(), identity: z.string(), windows: z.array(WindowUse) })).openapi({ description: "The user's keys that have a quota of their own" }),
    lockout: z.object({ locked: z.boolean(), until: z.string().nullable(), level: z.number().int().nullable() }),
    limiter: z.object({
      backend: z.enum(["memory", "upstash"]),
      on_error: z.enum(["open", "closed"]),
      login_on_error: z.enum(["open", "closed"]),
      counters: z.object({
        errors: z.number().int(),
        timeouts: z.number().int(),
        failed_open: z.number().int(),
        failed_closed: z.number().int(),
        last_error: z.string().nullable(),
        last_error_at: z.string().nullable(),
      }).openapi({ description: "Backend failures since this process (or isolate) started" }),
    }),
  })
  .openapi("RateLimitStatus");
export type RateLimitStatusResponse = z.infer<typeof RateLimitStatusSchema>;

const Params = z.object({ userId: z.string().min(1).max(64).openapi({ param: { name: "userId", in: "path" } }) });

const getRoute = createRoute({
  method: "get",
  path: "/v1/admin/rate-limits/{userId}",
  operationId: "getRateLimits",
  tags: ["Rate limits"],
  summary: "A user's rate-limit policy, its source, and current use per window",
  ...access({ roles: ["admin"], scope: "rate-limits:read" }),
  request: { params: Params },
  responses: {
    200: { description: "Policy and use", content: { "application/json": { schema: RateLimitStatusSchema } } },
    ...problemResponses(401, 403, 404, 429, 503),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/admin/rate-limits/{userId}",
  operationId: "resetRateLimits",
  tags: ["Rate limits"],
  summary: "Reset a user's counters (and their keys' own), failed logins and any login lockout (audited)",
  ...access({ roles: ["admin"], scope: "rate-limits:write" }),
  request: { params: Params },
  responses: { 204: { description: "Reset" }, ...problemResponses(401, 403, 404, 429, 503) },
});

async function subjectOf(s: Services, userId: string) {
  const user = await s.db.orm.select().from(users).where(eq(users.id, userId)).get();
  if (!user) throw new ApiError("not_found", { detail: `no user ${userId}` });
  const keys = await s.db.orm
    .select({ id: apiKeys.id, rateLimits: apiKeys.rateLimits })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNotNull(apiKeys.rateLimits), isNull(apiKeys.revokedAt)))
    .all();
  const own = userLimits(s, user);
  const keyed = keys.map((k) => ({ id: k.id, limits: keyLimits(s, user, k) })).filter((k) => k.limits.identity !== own.identity);
  return { user, own, keyed };
}

/** The backend must answer here: an admin asking for state gets the truth or a 503, never a guess. */
async function strict<T>(s: Services, requestId: string, what: string, op: () => Promise<T>): Promise<T> {
  const out = await guarded(s, requestId, what, op);
  if (out === undefined) throw new ApiError("not_ready", { detail: "the rate limiter's backend is unavailable; try again shortly" });
  return out;
}

async function usage(s: Services, requestId: string, limits: ResolvedLimits) {
  const states = await strict(s, requestId, "peek", () => s.limiter.peek(limits.identity, quotaOf(limits.windows)));
  return limits.windows.map((w, i) => ({
    window: w.window,
    limit: w.limit,
    window_seconds: w.seconds,
    source: w.source,
    used: Math.max(0, w.limit - states[i].remaining),
    remaining: states[i].remaining,
    resets_at: new Date(states[i].resetAt).toISOString(),
  }));
}

export function registerAdminRateLimits(app: App) {
  app.openapi(getRoute, async (c) => {
    const s = c.get("services");
    const rid = c.get("requestId");
    const { user, own, keyed } = await subjectOf(s, c.req.valid("param").userId);
    const { subject } = await accountSubject(user.email);
    const [windows, keys, lock] = await Promise.all([
      usage(s, rid, own),
      Promise.all(keyed.map(async (k) => ({ id: k.id, identity: k.limits.identity, windows: await usage(s, rid, k.limits) }))),
      strict(s, rid, "lockout check", async () => ({ lock: await s.limiter.lockouts.get(subject) })),
    ]);
    return c.json(
      {
        user_id: user.id,
        role: user.role,
        identity: own.identity,
        windows,
        api_keys: keys,
        lockout: lock.lock ? { locked: true, until: new Date(lock.lock.until).toISOString(), level: lock.lock.level } : { locked: false, until: null, level: null },
        limiter: { backend: s.limiter.kind, on_error: s.config.rateLimits.onError, login_on_error: s.config.rateLimits.loginOnError, counters: { ...s.limiter.counters } },
      },
      200,
    );
  });

  app.openapi(deleteRoute, async (c) => {
    const s = c.get("services");
    const rid = c.get("requestId");
    const { user, own, keyed } = await subjectOf(s, c.req.valid("param").userId);
    const { subject } = await accountSubject(user.email);
    const windows = quotaOf(own.windows);
    await strict(s, rid, "reset", () =>
      Promise.all([
        s.limiter.reset(own.identity, windows),
        ...keyed.map((k) => s.limiter.reset(k.limits.identity, windows)),
        s.limiter.reset(subject, [FAILURE_WINDOW, ...windows]), // failed logins and login attempts for the account
        s.limiter.lockouts.clear(subject),
      ]),
    );
    await audit(s, {
      ...actorOf(c),
      action: "rate_limit.reset",
      targetType: "user",
      targetId: user.id,
      details: { identities: [own.identity, ...keyed.map((k) => k.limits.identity)], lockout_cleared: true },
    });
    return c.body(null, 204);
  });
}
