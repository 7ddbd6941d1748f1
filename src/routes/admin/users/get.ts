import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { ApiError, problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { getUser, publicUser } from "../../../identity/users.ts";
import { UserSchema } from "../../../identity/schemas.ts";
import { UserIdParam } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/users/{id}",
  operationId: "getUser",
  tags: ["Users"],
  summary: "Get a user",
  ...access({ roles: ["admin"], scope: "users:read" }),
  request: { params: UserIdParam },
  responses: { 200: { description: "The user", content: { "application/json": { schema: UserSchema } } }, ...problemResponses(401, 403, 404) },
});

export function registerUsersGet(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const user = await getUser(c.get("services"), id);
    if (!user) throw new ApiError("not_found", { detail: `no user ${id}` });
    return c.json(publicUser(user), 200);
  });
}
