import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { claimRequest } from "../../requests/answers.ts";
import { QueueItemSchema, RequestIdParam } from "../requests/schemas.ts";
import { ANSWERERS, actorFor, requestOr404 } from "../requests/answer.ts";
import { assertQueueNetwork, queueItem } from "./list.ts";

const route = createRoute({
  method: "post",
  path: "/v1/queue/{id}/claim",
  operationId: "claimRequest",
  ...servedOn("response"),
  tags: ["Queue"],
  summary: "Claim a request so other operators leave it to you (expires after AIRLOCK_CLAIM_TTL_SECONDS; claiming again renews)",
  ...access({ roles: ANSWERERS, scope: "requests:write" }),
  request: { params: RequestIdParam },
  responses: {
    200: { description: "Claimed", content: { "application/json": { schema: QueueItemSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

export function registerQueueClaim(app: App) {
  app.openapi(route, async (c) => {
    assertQueueNetwork(c);
    const actor = actorFor(c);
    const r = await requestOr404(c, c.req.valid("param").id);
    return c.json(queueItem(await claimRequest(c.get("services"), r, actor)), 200);
  });
}
