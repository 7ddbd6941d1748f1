import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { actorOf } from "../../audit/audit.ts";
import { ANSWERERS, answerableRequest, answererOf, claimRequest } from "../../requests/answers.ts";
import { assertQueueNetwork, queueItem } from "../../requests/queue.ts";
import { QueueItemSchema, RequestIdParam } from "../../requests/schemas.ts";

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
    const s = c.get("services");
    assertQueueNetwork(s);
    const actor = answererOf(principalOf(c), actorOf(c));
    const r = await answerableRequest(s, c.req.valid("param").id);
    return c.json(queueItem(await claimRequest(s, r, actor)), 200);
  });
}
