import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { ANY_ROLE } from "../../identity/roles.ts";
import { getUser, publicUser } from "../../identity/users.ts";
import { UserSchema } from "../../identity/schemas.ts";
import { ANY_KEY } from "../../identity/scopes.ts";

export const MeSchema = UserSchema.extend({
  auth: z.object({ type: z.enum(["user", "api_key"]), api_key_id: z.string().optional(), scopes: z.array(z.string()).optional() }),
}).openapi("Me");

const route = createRoute({
  method: "get",
  path: "/v1/me",
  operationId: "getMe",
  tags: ["Auth"],
  summary: "Who am I",
  ...access({ roles: ANY_ROLE, scope: ANY_KEY }),
  responses: { 200: { description: "The caller", content: { "application/json": { schema: MeSchema } } }, ...problemResponses(401, 403) },
});

export function registerMe(app: App) {
  app.openapi(route, async (c) => {
    const p = principalOf(c);
    if (p.type === "courier" || p.type === "metrics") throw new ApiError("forbidden", { detail: `the ${p.type} token is not a user` });
    const user = await getUser(c.get("services"), p.userId);
    if (!user) throw new ApiError("not_found");
    const auth = p.type === "api_key" ? { type: "api_key" as const, api_key_id: p.apiKeyId, scopes: p.scopes } : { type: "user" as const };
    return c.json({ ...publicUser(user), auth }, 200);
  });
}
