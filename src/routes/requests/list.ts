import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { REQUEST_STATUSES, type RequestStatus } from "../../requests/records.ts";
import { SUBMITTERS, listRequests, requestSummary } from "../../requests/requests.ts";
import { RequestSummarySchema } from "./schemas.ts";
const isoDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());

export const RequestListQuery = PageQuery.extend({
  status: z
    .string()
    .max(200)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const list = v
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
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
    const q = c.req.valid("query");
    const filter = { statuses: q.status, createdAfter: q.created_after, createdBefore: q.created_before, topic: q.topic, userId: q.user_id };
    const result = await listRequests(c.get("services"), principalOf(c), filter, q);
    c.header("Cache-Control", "private, no-cache");
    return c.json({ items: result.items.map(requestSummary), next_cursor: result.next_cursor }, 200);
  });
}
