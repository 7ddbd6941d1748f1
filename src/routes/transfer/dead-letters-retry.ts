import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { actorOf } from "../../audit/audit.ts";
import { deadLetterRetryPolicy } from "../../transfer/access.ts";
import { deadLetterView, retryDeadLetter } from "../../transfer/dead-letters.ts";
import { DeadLetterSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/transfer/dead-letters/{id}/retry",
  operationId: "retryDeadLetter",
  tags: ["Transfer"],
  summary: "Apply a received dead letter again (after an upgrade), or put an outgoing one back into the outbox",
  ...access(deadLetterRetryPolicy),
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 200: { description: "The dead letter, resolved", content: { "application/json": { schema: DeadLetterSchema } } }, ...problemResponses(401, 403, 404, 409, 422) },
});

export function registerDeadLettersRetry(app: App) {
  app.openapi(route, async (c) => c.json(deadLetterView(await retryDeadLetter(c.get("services"), c.req.valid("param").id, actorOf(c))), 200));
}
