import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { clientBucket } from "../lib/ip.ts";
import { audit, type AuditInput } from "../audit/audit.ts";
import { effectivePolicy, policyHeader } from "./policy.ts";
import type { LimitDecision, QuotaWindow } from "../deps/ratelimit/ratelimit.ts";
import { decisionHeaders, guarded, rateLimitedError } from "./decisions.ts";
import { quotaOf } from "./quotas.ts";
import { processMetrics } from "../metrics/process.ts";

/** Failed logins are counted per account over this window; AIRLOCK_LOGIN_MAX_FAILURES of them lock the account. */
export const FAILURE_WINDOW = { name: "login-failures", seconds: 900 } as const;
/** A lockout level is remembered this long after the last lockout, so repeated lockouts keep growing. */
export const LOCKOUT_LEVEL_TTL_SECONDS = 86_400;

/** The account a login targets, as a digest: e-mail addresses never reach Redis keys or the audit log. */
export async function accountSubject(email: string): Promise<{ subject: string; emailSha256: string }> {
  const emailSha256 = await sha256Hex(email.trim().toLowerCase());
  return { subject: `account:${emailSha256}`, emailSha256 };
}

/**
 * Brute-force protection for the unauthenticated routes (POST /v1/auth/token, POST /v1/auth/refresh).
 *
 * - Attempts are limited per client IP (policy `login_ip`; an IPv6 client by its
 *   AIRLOCK_LOGIN_IPV6_PREFIX network, /64 by default) and per target account
 *   (`login_account`, keyed by the e-mail's digest, so unknown accounts are limited alike).
 *   In-process requests without a client address (tests, app.request) skip the IP partition
 *   rather than share one bucket.
 * - AIRLOCK_LOGIN_MAX_FAILURES failed logins for an account within 15 minutes lock it for
 *   AIRLOCK_LOGIN_LOCKOUT_SECONDS, doubling with each lockout in a row (remembered 24 h) up
 *   to AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS. While locked, every attempt is refused with 429
 *   before the password is looked at. A successful login forgets failures and level.
 *   Every lockout is audited (`auth.lockout`). Locking by account protects against
 *   distributed guessing; the price is that anyone can keep an account locked for a while
 *   by failing on purpose, which is why lockouts are short and an admin can lift one
 *   (DELETE /v1/admin/rate-limits/:userId).
 *
 * Usage in the login route (through loginGuard(c), src/middleware/login-guard.ts):
 *   const guard = loginGuard(c);
 *   await guard.check(email);            // before looking up the user or verifying anything
 *   ... verify ...
 *   await guard.recordFailure(email);    // wrong password or unknown account
 *   await guard.recordSuccess(email);    // after a successful login
 */
export class LoginGuard {
  constructor(
    private s: Services,
    private ctx: { requestId?: string; audit?: Omit<AuditInput, "action"> } = {},
  ) {}

  private windows(kind: "login_ip" | "login_account") {
    return effectivePolicy(this.s.config.rateLimits.policies[kind], null);
  }

  /** The per-address identity: an IPv4 address, or an IPv6 client's network. */
  private ipIdentity(ip: string): string {
    return `ip:${clientBucket(ip, this.s.config.rateLimits.login.ipv6Prefix)}`;
  }

  private async count(identity: string, kind: "login_ip" | "login_account"): Promise<{ decision: LimitDecision; policy: string } | undefined> {
    const windows = this.windows(kind);
    const decision = await guarded(this.s, this.ctx.requestId, `${kind} limit`, () => this.s.limiter.limit(identity, quotaOf(windows)), this.s.config.rateLimits.loginOnError);
    if (decision) processMetrics(this.s).limiterDecisions.inc({ limit: kind, decision: decision.allowed ? "allowed" : "limited" });
    return decision && { decision, policy: policyHeader(windows) };
  }

  /** Before verifying: refuses (429) a locked account or an IP/account over its attempt quota; counts the attempt. */
  async check(ip: string | undefined, email: string): Promise<void> {
    const { subject } = await accountSubject(email);
    const lock = await guarded(this.s, this.ctx.requestId, "lockout check", () => this.s.limiter.lockouts.get(subject), this.s.config.rateLimits.loginOnError);
    const now = this.s.clock.now().getTime();
    if (lock) {
      const retry = Math.max(1, Math.ceil((lock.until - now) / 1000));
      throw new ApiError("rate_limited", {
        detail: `too many failed logins for this account; it is locked for ${retry} s more`,
        extra: { window: "lockout", retry_after: retry, reset_at: new Date(now + retry * 1000).toISOString() },
        headers: { "Retry-After": String(retry) },
      });
    }
    const [byIp, byAccount] = await Promise.all([ip ? this.count(this.ipIdentity(ip), "login_ip") : undefined, this.count(subject, "login_account")]);
    for (const [r, what] of [
      [byIp, "login attempts from this address"],
      [byAccount, "login attempts for this account"],
    ] as const) {
      if (r && !r.decision.allowed) {
        const headers = { "RateLimit-Policy": r.policy, ...decisionHeaders(r.decision, now, 100) };
        throw rateLimitedError(r.decision, now, headers, what);
      }
    }
  }

  /** Refresh tokens are 32 random bytes (no guessing): limited per client IP only. */
  async checkRefresh(ip: string | undefined): Promise<void> {
    if (!ip) return;
    const r = await this.count(this.ipIdentity(ip), "login_ip");
    if (r && !r.decision.allowed) {
      const now = this.s.clock.now().getTime();
      throw rateLimitedError(r.decision, now, { "RateLimit-Policy": r.policy, ...decisionHeaders(r.decision, now, 100) }, "token requests from this address");
    }
  }

  /** After a failed login: counts it; the failure that reaches the maximum locks the account (audited). */
  async recordFailure(_ip: string | undefined, email: string): Promise<void> {
    const { subject, emailSha256 } = await accountSubject(email);
    const { maxFailures, lockoutSeconds, lockoutMaxSeconds } = this.s.config.rateLimits.login;
    const window: QuotaWindow = { ...FAILURE_WINDOW, limit: maxFailures };
    const d = await guarded(this.s, this.ctx.requestId, "login failure", () => this.s.limiter.limit(subject, [window]), this.s.config.rateLimits.loginOnError);
    if (!d || (d.allowed && d.windows[0].remaining > 0)) return;
    const lock = await guarded(
      this.s,
      this.ctx.requestId,
      "lockout",
      () => this.s.limiter.lockouts.lock(subject, { baseSeconds: lockoutSeconds, maxSeconds: lockoutMaxSeconds, levelTtlSeconds: LOCKOUT_LEVEL_TTL_SECONDS }),
      this.s.config.rateLimits.loginOnError,
    );
    if (!lock) return;
    // The next lockout needs maxFailures new failures after this one expires.
    await guarded(this.s, this.ctx.requestId, "login failure reset", () => this.s.limiter.reset(subject, [FAILURE_WINDOW]), this.s.config.rateLimits.loginOnError);
    const seconds = Math.round((lock.until - this.s.clock.now().getTime()) / 1000);
    this.s.logger.log("warn", "account locked after failed logins", { email_sha256: emailSha256, level: lock.level, seconds, request_id: this.ctx.requestId });
    await audit(this.s, {
      actorType: "anonymous",
      ...this.ctx.audit,
      action: "auth.lockout",
      outcome: "failure",
      targetType: "account",
      targetId: null,
      details: { email_sha256: emailSha256, level: lock.level, seconds, until: new Date(lock.until).toISOString(), failures: maxFailures },
    });
  }

  /** After a successful login: failures and the lockout level are forgotten. */
  async recordSuccess(_ip: string | undefined, email: string): Promise<void> {
    const { subject } = await accountSubject(email);
    await guarded(
      this.s,
      this.ctx.requestId,
      "login success",
      () => Promise.all([this.s.limiter.lockouts.clear(subject), this.s.limiter.reset(subject, [FAILURE_WINDOW])]),
      this.s.config.rateLimits.loginOnError,
    );
  }
}
