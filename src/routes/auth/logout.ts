import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { ANY_ROLE } from "../../identity/roles.ts";
import { familyOf, revokeAllSessions, revokeFamily } from "../../identity/sessions.ts";
import { actorOf, audit } from "../../audit/audit.ts";
import { SESSION_ONLY } from "../../identity/scopes.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  operationId: "logout",
  tags: ["Auth"],
  summary: "End this session (or all of the user's sessions)",
  ...access({ roles: ANY_ROLE, scope: SESSION_ONLY }),
  request: {
    body: {
      required: false,
      content: {
        "application/json": {
          schema: z.object({ refresh_token: z.string().max(256).optional(), all_sessions: z.boolean().default(false) }).openapi("LogoutRequest"),
        },
      },
    },
  },
  responses: { 204: { description: "Logged out" }, ...problemResponses(400, 401, 403) },
});

export function registerAuthLogout(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const p = principalOf(c);
    // The body is optional: without one, validation is skipped and nothing is parsed.
    const body = (c.req.valid("json") ?? {}) as { refresh_token?: string; all_sessions?: boolean };
    body.all_sessions ??= false;
    const families = new Set<string>();
    if (p.type === "user") families.add(p.sessionId);
    if (body.refresh_token) {
      const f = await familyOf(s, body.refresh_token);
      if (f && f.userId === p.userId) families.add(f.familyId); // someone else's token is ignored, never revoked
    }
    if (body.all_sessions && p.userId) await revokeAllSessions(s, p.userId);
    for (const f of families) await revokeFamily(s, f);
    await audit(s, { ...actorOf(c), action: "auth.logout", targetType: "user", targetId: p.userId, details: { all_sessions: body.all_sessions } });
    return c.body(null, 204);
  });
}
