import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gt, like, or, type SQL } from "drizzle-orm";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { users } from "../../../schema/index.ts";
import { PageQuery, decodeCursor, listSchema, page } from "../../lib/pagination.ts";
import { publicUser } from "../../identity/users.ts";
import { ROLES } from "../../identity/roles.ts";
import { UserSchema } from "./user-schemas.ts";

const Cursor = z.object({ c: z.string(), i: z.string() });

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
    const cursor = decodeCursor(q.cursor, Cursor);
    const where: Array<SQL | undefined> = [
      q.role ? eq(users.role, q.role) : undefined,
      q.status ? eq(users.status, q.status) : undefined,
      q.email ? like(users.emailNormalized, `${q.email.toLowerCase().replace(/[%_\\]/g, "\\$&")}%`) : undefined,
      cursor ? or(gt(users.createdAt, cursor.c), and(eq(users.createdAt, cursor.c), gt(users.id, cursor.i))) : undefined,
    ];
    const rows = await c.get("services").db.orm.select().from(users).where(and(...where)).orderBy(asc(users.createdAt), asc(users.id)).limit(q.limit + 1).all();
    const result = page(rows, q.limit, (u) => ({ c: u.createdAt, i: u.id }));
    return c.json({ items: result.items.map(publicUser), next_cursor: result.next_cursor }, 200);
  });
}
