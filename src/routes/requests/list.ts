import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { requests } from "../../../schema/index.ts";
import { PageQuery, decodeCursor, listSchema, page } from "../../lib/pagination.ts";
import { REQUEST_STATUSES, type RequestStatus } from "../../requests/records.ts";
import { requestSummary } from "../../requests/requests.ts";
import { RequestSummarySchema } from "./schemas.ts";
import { SUBMITTERS } from "./submit.ts";

const Cursor = z.object({ c: z.string(), i: z.string() });
const isoDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());

export const RequestListQuery = PageQuery.extend({
  status: z
    .string()
    .max(200)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const list = v.split(",").map((x) => x.trim()).filter(Boolean);
      const bad = list.filter((x) => !(REQUEST_STATUSES as readonly string[]).includes(x));
      if (bad.length) {
        ctx.addIssue({ code: "custom", message: `unknown status ${bad.join(", ")}; expected any of ${REQUEST_STATUSES.join(", ")}` });
        return z.NEVER;
      }
      return list as RequestStatus[];
    })
    .openapi({ description: "One status or a comma-separated list", type: "string" }),
  created_after: isoDate.optional().openapi({ description: "Created at or after (ISO 8601)", type: "string" }),
  created_before: isoDate.optional().openapi({ description: "Created before (ISO 8601)", type: "string" }),
  topic: z.string().max(200).optional(),
  user_id: z.string().max(64).optional().openapi({ description: "Operators and admins: one user's requests (ignored for others)" }),
});

const route = createRoute({
  method: "get",
  path: "/v1/requests",
  operationId: "listRequests",
  tags: ["Requests"],
  summary: "List your requests, newest first (operators and admins: everyone's)",
  ...access({ roles: SUBMITTERS, scope: "requests:read" }),
  request: { query: RequestListQuery },
  responses: {
    200: { description: "Requests", content: { "application/json": { schema: listSchema(RequestSummarySchema, "RequestList") } } },
    ...problemResponses(400, 401, 403),
  },
});

export function registerRequestsList(app: App) {
  app.openapi(route, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid("query");
    const cursor = decodeCursor(q.cursor, Cursor);
    const seesAll = p.role === "admin" || p.role === "operator";
    const owner = seesAll ? q.user_id : (p.userId ?? "");
    const where: Array<SQL | undefined> = [
      owner ? eq(requests.userId, owner) : undefined,
      q.status?.length ? inArray(requests.status, q.status) : undefined,
      q.created_after ? gte(requests.createdAt, q.created_after) : undefined,
      q.created_before ? lt(requests.createdAt, q.created_before) : undefined,
      q.topic ? eq(requests.topic, q.topic) : undefined,
      cursor ? or(lt(requests.createdAt, cursor.c), and(eq(requests.createdAt, cursor.c), lt(requests.id, cursor.i))) : undefined,
    ];
    const rows = await c
      .get("services")
      .db.orm.select()
      .from(requests)
      .where(and(...where))
      .orderBy(desc(requests.createdAt), desc(requests.id))
      .limit(q.limit + 1)
      .all();
    const result = page(rows, q.limit, (r) => ({ c: r.createdAt, i: r.id }));
    c.header("Cache-Control", "private, no-cache");
    return c.json({ items: result.items.map(requestSummary), next_cursor: result.next_cursor }, 200);
  });
}
