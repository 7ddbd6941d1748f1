import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, lte, ne, or, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { servedOn, type App } from "../../http/router.ts";
import type { HonoEnv } from "../../env.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { requests } from "../../../schema/index.ts";
import { PageQuery, decodeCursor, listSchema, page } from "../../lib/pagination.ts";
import type { RequestRow } from "../../requests/records.ts";
import { requestSummary } from "../../requests/requests.ts";
import { QueueItemSchema } from "../requests/schemas.ts";
import { ANSWERERS } from "../requests/answer.ts";

const Cursor = z.object({ p: z.number(), c: z.string(), i: z.string() });

/** The queue exists on the response network only. */
export function assertQueueNetwork(c: Context<HonoEnv>) {
  if (c.get("services").config.role !== "response") throw new ApiError("wrong_network", { detail: "the queue is on the response network" });
}

export function queueItem(r: RequestRow) {
  return {
    ...requestSummary(r),
    body: JSON.parse(r.body) as unknown,
    claimed_by: r.claimedBy,
    claim_expires_at: r.claimExpiresAt,
    processor: { attempts: r.processorAttempts, error: r.processorError, next_attempt_at: r.processorNextAt },
  };
}

const route = createRoute({
  method: "get",
  path: "/v1/queue",
  operationId: "listQueue",
  ...servedOn("response"),
  tags: ["Queue"],
  summary: "Received, unanswered requests: most urgent first, then oldest first (response network)",
  ...access({ roles: ANSWERERS, scope: "requests:read" }),
  request: {
    query: PageQuery.extend({
      status: z.enum(["received", "processing"]).optional(),
      topic: z.string().max(200).optional(),
      user_id: z.string().max(64).optional(),
      claimed: z.enum(["any", "mine", "unclaimed", "others"]).default("any").openapi({ description: "Live claims only: an expired claim counts as unclaimed" }),
      processor_failed: z.enum(["true", "false"]).optional().openapi({ description: "Only requests the processor failed on (true) or not (false)" }),
    }),
  },
  responses: {
    200: { description: "The queue", content: { "application/json": { schema: listSchema(QueueItemSchema, "Queue") } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

export function registerQueueList(app: App) {
  app.openapi(route, async (c) => {
    assertQueueNetwork(c);
    const p = principalOf(c);
    const s = c.get("services");
    const q = c.req.valid("query");
    const cursor = decodeCursor(q.cursor, Cursor);
    const now = s.clock.now().toISOString();
    const live = and(isNotNull(requests.claimedBy), gt(requests.claimExpiresAt, now));
    const unclaimed = or(isNull(requests.claimedBy), lte(requests.claimExpiresAt, now));
    const where: Array<SQL | undefined> = [
      q.status ? eq(requests.status, q.status) : inArray(requests.status, ["received", "processing"]),
      q.topic ? eq(requests.topic, q.topic) : undefined,
      q.user_id ? eq(requests.userId, q.user_id) : undefined,
      q.claimed === "mine" ? and(live, eq(requests.claimedBy, p.userId ?? "")) : undefined,
      q.claimed === "unclaimed" ? unclaimed : undefined,
      q.claimed === "others" ? and(live, ne(requests.claimedBy, p.userId ?? "")) : undefined,
      q.processor_failed === "true" ? isNotNull(requests.processorError) : q.processor_failed === "false" ? isNull(requests.processorError) : undefined,
      cursor
        ? or(
            lt(requests.priority, cursor.p),
            and(eq(requests.priority, cursor.p), or(gt(requests.createdAt, cursor.c), and(eq(requests.createdAt, cursor.c), gt(requests.id, cursor.i)))),
          )
        : undefined,
    ];
    const rows = await s.db.orm
      .select()
      .from(requests)
      .where(and(...where))
      .orderBy(desc(requests.priority), asc(requests.createdAt), asc(requests.id))
      .limit(q.limit + 1)
      .all();
    const result = page(rows, q.limit, (r) => ({ p: r.priority, c: r.createdAt, i: r.id }));
    c.header("Cache-Control", "no-store");
    return c.json({ items: result.items.map(queueItem), next_cursor: result.next_cursor }, 200);
  });
}
