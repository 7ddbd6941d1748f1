import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../../http/router.ts";
import { problemResponses } from "../../../errors.ts";
import { access } from "../../../middleware/auth.ts";
import { PageQuery, listSchema } from "../../../lib/pagination.ts";
import { listUsers, publicUser } from "../../../identity/users.ts";
import { ROLES } from "../../../identity/roles.ts";
import { UserSchema } from "../../../identity/schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/users",
  operationId: "listUsers",
  tags: ["Users"],
  summary: "List users (filters, cursor pagination)",
  ...access({ roles: ["admin"], scope: "users:read" }),
  request: {
    query: PageQuery.extend({
      role: z.enum(ROLES).optional(),
      status: z.enum(["active", "disabled"]).optional(),
      email: z.string().max(320).optional().openapi({ description: "Case-insensitive prefix of the e-mail address" }),
    }),
  },
  responses: { 200: { description: "Users", content: { "application/json": { schema: listSchema(UserSchema, "UserList") } } }, ...problemResponses(400, 401, 403) },
});

export function registerUsersList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const result = await listUsers(c.get("services"), { role: q.role, status: q.status, email: q.email }, q);
    return c.json({ items: result.items.map(publicUser), next_cursor: result.next_cursor }, 200);
  });
}
