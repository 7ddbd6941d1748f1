import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { publicUser, updateUser } from "../../../identity/users.ts";
import { actorOf } from "../../../audit/audit.ts";
import { UserSchema } from "../../../identity/schemas.ts";
import { UpdateUserSchema, UserIdParam } from "./schemas.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/admin/users/{id}",
  operationId: "updateUser",
  ...servedOn("response"),
  tags: ["Users"],
  summary: "Change a user's name, role, status, password or rate limits (response network only)",
  ...access({ roles: ["admin"], scope: "users:write" }),
  request: { params: UserIdParam, body: { required: true, content: { "application/json": { schema: UpdateUserSchema } } } },
  responses: {
    200: { description: "Updated", content: { "application/json": { schema: UserSchema } } },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

export function registerUsersUpdate(app: App) {
  app.openapi(route, async (c) => {
    const user = await updateUser(c.get("services"), c.req.valid("param").id, c.req.valid("json"), actorOf(c));
    return c.json(publicUser(user), 200);
  });
}
