import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { problemResponses } from "../../errors.ts";
import { PageQuery, listSchema } from "../../lib/pagination.ts";
import { deadLetterView, listDeadLetters } from "../../transfer/dead-letters.ts";
import { DeadLetterSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/transfer/dead-letters",
  operationId: "listDeadLetters",
  tags: ["Transfer"],
  summary: "Records set aside instead of stopping the link, newest first (in: received; out: left out of our batches; peer: reported by the peer)",
  ...access(courierPolicy("transfer:read")),
  request: { query: PageQuery.extend({ side: z.enum(["in", "out", "peer"]).optional(), status: z.enum(["open", "applied", "requeued"]).optional() }) },
  responses: {
    200: { description: "Dead letters", content: { "application/json": { schema: listSchema(DeadLetterSchema, "DeadLetterList") } } },
    ...problemResponses(400, 401, 403),
  },
});

export function registerDeadLettersList(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const result = await listDeadLetters(c.get("services"), { side: q.side, status: q.status }, q);
    return c.json({ items: result.items.map(deadLetterView), next_cursor: result.next_cursor }, 200);
  });
}
