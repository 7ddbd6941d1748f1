import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess, type App } from "../../http/router.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { findUserByEmail, normalizeEmail, upgradePasswordHash } from "../../identity/users.ts";
import { verifyAgainstDummy, verifyPassword } from "../../identity/password.ts";
import { startSession } from "../../identity/sessions.ts";
import { actorOf, audit } from "../../audit/audit.ts";
import { sha256Hex } from "../../lib/crypto.ts";
import { TokenPairSchema } from "./schemas.ts";
import { loginGuard } from "../../middleware/login-guard.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/token",
  operationId: "login",
  ...publicAccess(),
  tags: ["Auth"],
  summary: "Log in with e-mail and password",
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) }).openapi("LoginRequest") } },
    },
  },
  responses: {
    200: { description: "Tokens", content: { "application/json": { schema: TokenPairSchema } } },
    ...problemResponses(400, 401, 403, 429, 503),
  },
});

export function registerAuthToken(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const { email, password } = c.req.valid("json");
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
    c.header("Cache-Control", "no-store");
    return c.json(tokens, 200);
  });
}
