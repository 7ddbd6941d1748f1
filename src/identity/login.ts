import type { Context } from "hono";
import type { HonoEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { findUserByEmail, normalizeEmail, upgradePasswordHash, type UserRow } from "./users.ts";
import { verifyAgainstDummy, verifyPassword } from "./password.ts";
import { startSession, type TokenPair } from "./sessions.ts";
import { actorOf, audit } from "../audit/audit.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { loginGuard } from "../middleware/login-guard.ts";

/**
 * A password login, the one way in for `POST /v1/auth/token` and the console's sign-in:
 * lockouts and attempt limits, password check, disabled accounts, the audit entry, a new session.
 * Throws `rate_limited`, `invalid_credentials` or `account_disabled`.
 */
export async function passwordLogin(c: Context<HonoEnv>, email: string, password: string): Promise<{ user: UserRow; tokens: TokenPair }> {
  const s = c.get("services");
  const who = actorOf(c);
  const guard = loginGuard(c); // attempts per IP and per account, lockout after repeated failures
  await guard.check(email);
  const user = await findUserByEmail(s, email);
  // Unknown accounts cost the same as wrong passwords, so timing does not reveal who exists.
  const result = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
  if (!user || !result.ok) {
    await audit(s, {
      ...who,
      action: "auth.login",
      outcome: "failure",
      targetType: "user",
      targetId: user?.id ?? null,
      // The address is personal data: an unknown one is recorded as a digest only.
      details: { reason: user ? "wrong_password" : "unknown_account", ...(user ? {} : { email_sha256: await sha256Hex(normalizeEmail(email)) }) },
    });
    await guard.recordFailure(email);
    throw new ApiError("invalid_credentials", { detail: "e-mail or password is wrong" });
  }
  if (user.status !== "active") {
    await audit(s, { ...who, action: "auth.login", outcome: "failure", targetType: "user", targetId: user.id, details: { reason: "disabled" } });
    throw new ApiError("account_disabled", { detail: "this account is disabled" });
  }
  await guard.recordSuccess(email);
  if (result.needsRehash) await upgradePasswordHash(s, user, password);
  const tokens = await startSession(s, user);
  await audit(s, { ...who, actorType: "user", actorId: user.id, action: "auth.login", targetType: "user", targetId: user.id });
  c.get("logFields").user_id = user.id;
  return { user, tokens };
}
