import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { createUser, publicUser } from "../../../identity/users.ts";
import { actorOf } from "../../../audit/audit.ts";
import { UserSchema } from "../../../identity/schemas.ts";
import { CreateUserSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/users",
  operationId: "createUser",
  ...servedOn("response"),
  tags: ["Users"],
  summary: "Create a user (response network only)",
  ...access({ roles: ["admin"], scope: "users:write" }),
  request: { body: { required: true, content: { "application/json": { schema: CreateUserSchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: UserSchema } } },
    ...problemResponses(400, 401, 403, 409),
  },
});

export function registerUsersCreate(app: App) {
  app.openapi(route, async (c) => {
    const user = await createUser(c.get("services"), c.req.valid("json"), actorOf(c));
    c.header("Location", `/v1/admin/users/${user.id}`);
    return c.json(publicUser(user), 201);
  });
}
