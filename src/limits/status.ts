import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { apiKeys, users } from "../../schema/index.ts";
import { audit, type AuditInput } from "../audit/audit.ts";
import { guarded } from "./decisions.ts";
import { keyLimits, quotaOf, userLimits, type ResolvedLimits } from "./quotas.ts";
import { accountSubject, FAILURE_WINDOW } from "./lockouts.ts";

/** A user, their own limits, and those of their keys that have a quota of their own. */
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

/** A user's policy, where each limit comes from, current use per window (theirs and their own-quota keys'), the login lockout and the limiter's health. */
export async function rateLimitStatus(s: Services, requestId: string, userId: string) {
  const { user, own, keyed } = await subjectOf(s, userId);
  const { subject } = await accountSubject(user.email);
  const [windows, keys, lock] = await Promise.all([
    usage(s, requestId, own),
    Promise.all(keyed.map(async (k) => ({ id: k.id, identity: k.limits.identity, windows: await usage(s, requestId, k.limits) }))),
    strict(s, requestId, "lockout check", async () => ({ lock: await s.limiter.lockouts.get(subject) })),
  ]);
  return {
    user_id: user.id,
    role: user.role,
    identity: own.identity,
    windows,
    api_keys: keys,
    lockout: lock.lock ? { locked: true, until: new Date(lock.lock.until).toISOString(), level: lock.lock.level } : { locked: false, until: null, level: null },
    limiter: { backend: s.limiter.kind, on_error: s.config.rateLimits.onError, login_on_error: s.config.rateLimits.loginOnError, counters: { ...s.limiter.counters } },
  };
}

/** Forgets a user's counters (and their keys' own), failed logins and any login lockout; audited. */
export async function resetRateLimits(s: Services, requestId: string, userId: string, actor: Omit<AuditInput, "action">): Promise<void> {
  const { user, own, keyed } = await subjectOf(s, userId);
  const { subject } = await accountSubject(user.email);
  const windows = quotaOf(own.windows);
  await strict(s, requestId, "reset", () =>
    Promise.all([
      s.limiter.reset(own.identity, windows),
      ...keyed.map((k) => s.limiter.reset(k.limits.identity, windows)),
      s.limiter.reset(subject, [FAILURE_WINDOW, ...windows]), // failed logins and login attempts for the account
      s.limiter.lockouts.clear(subject),
    ]),
  );
  await audit(s, {
    ...actor,
    action: "rate_limit.reset",
    targetType: "user",
    targetId: user.id,
    details: { identities: [own.identity, ...keyed.map((k) => k.limits.identity)], lockout_cleared: true },
  });
}
