import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess, type App } from "../../http/router.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { rotateRefreshToken } from "../../identity/sessions.ts";
import { getUser } from "../../identity/users.ts";
import { actorOf, audit } from "../../audit/audit.ts";
import { TokenPairSchema } from "./schemas.ts";
import { loginGuard } from "../../middleware/login-guard.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  operationId: "refreshTokens",
  ...publicAccess(),
  tags: ["Auth"],
  summary: "Exchange a refresh token for new tokens (rotation; reuse revokes the family)",
  request: {
    body: { required: true, content: { "application/json": { schema: z.object({ refresh_token: z.string().min(1).max(256) }).openapi("RefreshRequest") } } },
  },
  responses: {
    200: { description: "New tokens", content: { "application/json": { schema: TokenPairSchema } } },
    ...problemResponses(400, 401, 429, 503),
  },
});

export function registerAuthRefresh(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    await loginGuard(c).checkRefresh(); // per client IP
    const outcome = await rotateRefreshToken(s, c.req.valid("json").refresh_token);
    if (!outcome.ok) {
      if (outcome.reuse) {
        await audit(s, {
          ...actorOf(c),
          action: "auth.refresh_reuse",
          outcome: "failure",
          targetType: "user",
          targetId: outcome.userId ?? null,
          details: { family_revoked: outcome.familyId },
        });
      }
      throw new ApiError("invalid_token", { detail: outcome.reuse ? "this refresh token was already used; the session has been revoked" : "the refresh token is not valid" });
    }
    const user = await getUser(s, outcome.userId);
    if (user?.status !== "active") throw new ApiError("invalid_token", { detail: "the account is disabled or unknown" });
    c.header("Cache-Control", "no-store");
    return c.json(await outcome.tokens(user), 200);
  });
}
