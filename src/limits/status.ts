import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { apiKeys, users } from "../../schema/index.ts";
import { audit, type AuditInput } from "../audit/audit.ts";
import { guarded } from "./decisions.ts";
import { processMetrics } from "../metrics/process.ts";
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

export interface HotSpot {
  user_id: string;
  role: string;
  /** The most used window of the user or of one of their own-quota keys. */
  window: { window: string; limit: number; used: number; remaining: number; resets_at: string; api_key_id: string | null };
  /** Share of that window used, 0–1 (1 for a limit of 0). */
  share: number;
  locked: boolean;
}

/**
 * How close these users (e.g. the busiest of the last day) are to a limit now, closest first,
 * read with rateLimitStatus; null when the limiter's backend does not answer.
 */
export async function rateLimitHotSpots(s: Services, requestId: string, userIds: string[]): Promise<HotSpot[] | null> {
  const share = (w: { limit: number; used: number }) => (w.limit > 0 ? Math.min(1, w.used / w.limit) : 1);
  try {
    const spots = await Promise.all(
      userIds.map(async (id): Promise<HotSpot | null> => {
        const st = await rateLimitStatus(s, requestId, id).catch((e: unknown) => {
          if (e instanceof ApiError && e.code === "not_found") return null; // a request of an account since removed
          throw e;
        });
        if (!st) return null;
        const windows = [...st.windows.map((w) => ({ ...w, api_key_id: null })), ...st.api_keys.flatMap((k) => k.windows.map((w) => ({ ...w, api_key_id: k.id })))];
        if (!windows.length) return null;
        const top = windows.reduce((a, b) => (share(b) > share(a) ? b : a));
        const { window, limit, used, remaining, resets_at, api_key_id } = top;
        return { user_id: st.user_id, role: st.role, window: { window, limit, used, remaining, resets_at, api_key_id }, share: share(top), locked: st.lockout.locked };
      }),
    );
    return spots.filter((x): x is HotSpot => x !== null).sort((a, b) => b.share - a.share || a.user_id.localeCompare(b.user_id));
  } catch (e) {
    if (e instanceof ApiError && e.code === "not_ready") return null;
    throw e;
  }
}

/** This process's (isolate's) limiter refusals since it started, by limit (identity, login_ip, login_account). */
export function limitedSinceStart(s: Services): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of processMetrics(s).limiterDecisions.family().samples) if (x.labels?.decision === "limited") out[String(x.labels.limit)] = x.value;
  return out;
}
