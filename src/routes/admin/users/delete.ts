import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { publicUser, updateUser } from "../../../identity/users.ts";
import { actorOf } from "../../../audit/audit.ts";
import { UserSchema } from "../../../identity/schemas.ts";
import { UserIdParam } from "./schemas.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/users/{id}",
  operationId: "disableUser",
  ...servedOn("response"),
  tags: ["Users"],
  summary: "Disable a user (users are never hard-deleted: requests and the audit log refer to them)",
  ...access({ roles: ["admin"], scope: "users:write" }),
  request: { params: UserIdParam },
  responses: {
    200: { description: "Disabled", content: { "application/json": { schema: UserSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

export function registerUsersDelete(app: App) {
  app.openapi(route, async (c) => {
    const user = await updateUser(c.get("services"), c.req.valid("param").id, { status: "disabled" }, actorOf(c));
    return c.json(publicUser(user), 200);
  });
}
