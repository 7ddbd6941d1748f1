import { createRoute, z } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { ANSWERERS } from "../../requests/answers.ts";
import { assertQueueNetwork, listQueue, queueItem } from "../../requests/queue.ts";
import { QueueItemSchema } from "../../requests/schemas.ts";

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
      min_priority: z.coerce.number().int().min(0).max(9).optional().openapi({ description: "Only requests at least this urgent (0–9)" }),
      created_before: z.iso
        .datetime({ offset: true })
        .transform((v) => new Date(v).toISOString())
        .optional()
        .openapi({ description: "Only requests created before this instant (ISO 8601): those waiting at least so long", type: "string" }),
    }),
  },
  responses: {
    200: { description: "The queue", content: { "application/json": { schema: listSchema(QueueItemSchema, "Queue") } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

export function registerQueueList(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    assertQueueNetwork(s);
    const p = principalOf(c);
    const q = c.req.valid("query");
    const filter = {
      status: q.status,
      topic: q.topic,
      userId: q.user_id,
      claimed: q.claimed,
      processorFailed: q.processor_failed === undefined ? undefined : q.processor_failed === "true",
      minPriority: q.min_priority,
      createdBefore: q.created_before,
    };
    const result = await listQueue(s, p.userId ?? "", filter, q);
    c.header("Cache-Control", "no-store");
    return c.json({ items: result.items.map(queueItem), next_cursor: result.next_cursor }, 200);
  });
}
