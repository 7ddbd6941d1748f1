import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, isNull, lt, or, type SQL } from "drizzle-orm";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { ANY_ROLE } from "../../identity/roles.ts";
import { apiKeys } from "../../../schema/index.ts";
import { PageQuery, decodeCursor, listSchema, page } from "../../lib/pagination.ts";
import { publicApiKey } from "../../identity/api-keys.ts";
import { ApiKeySchema } from "./schemas.ts";
import { SESSION_ONLY } from "../../identity/scopes.ts";

const Cursor = z.object({ c: z.string(), i: z.string() });

const route = createRoute({
  method: "get",
  path: "/v1/api-keys",
  operationId: "listApiKeys",
  tags: ["API keys"],
  summary: "List your API keys (admins: any user's with ?user_id=)",
  ...access({ roles: ANY_ROLE, scope: SESSION_ONLY }),
  request: {
    query: PageQuery.extend({
      user_id: z.string().max(64).optional(),
      include_revoked: z.enum(["true", "false"]).default("false"),
    }),
  },
  responses: { 200: { description: "Keys", content: { "application/json": { schema: listSchema(ApiKeySchema, "ApiKeyList") } } }, ...problemResponses(400, 401, 403) },
});

export function registerApiKeysList(app: App) {
  app.openapi(route, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid("query");
    const cursor = decodeCursor(q.cursor, Cursor);
    // Others' keys are visible to admins only; for anyone else user_id is their own.
    const owner = p.role === "admin" ? q.user_id : (p.userId ?? "");
    const where: Array<SQL | undefined> = [
      owner ? eq(apiKeys.userId, owner) : undefined,
      q.include_revoked === "true" ? undefined : isNull(apiKeys.revokedAt),
      cursor ? or(lt(apiKeys.createdAt, cursor.c), and(eq(apiKeys.createdAt, cursor.c), lt(apiKeys.id, cursor.i))) : undefined,
    ];
    const rows = await c.get("services").db.orm.select().from(apiKeys).where(and(...where)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).limit(q.limit + 1).all();
    const result = page(rows, q.limit, (k) => ({ c: k.createdAt, i: k.id }));
    return c.json({ items: result.items.map(publicApiKey), next_cursor: result.next_cursor }, 200);
  });
}
