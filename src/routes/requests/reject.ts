import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { actorOf } from "../../audit/audit.ts";
import { ANSWERERS, answerableRequest, answererOf, answeredView, rejectRequest } from "../../requests/answers.ts";
import { RequestIdParam } from "../../requests/schemas.ts";
import { AnsweredSchema, RejectSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/requests/{id}/reject",
  operationId: "rejectRequest",
  ...servedOn("response"),
  tags: ["Queue"],
  summary: "Reject a request with a reason the requester sees (response network; operators and admins)",
  ...access({ roles: ANSWERERS, scope: "requests:write" }),
  request: { params: RequestIdParam, body: { required: true, content: { "application/json": { schema: RejectSchema } } } },
  responses: {
    201: { description: "Rejected; travels to the request network with the next batch", content: { "application/json": { schema: AnsweredSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413),
  },
});

export function registerRequestsReject(app: App) {
  app.openapi(route, async (c) => {
    const actor = answererOf(principalOf(c), actorOf(c));
    const r = await answerableRequest(c.get("services"), c.req.valid("param").id);
    const { request, response } = await rejectRequest(c.get("services"), r, actor, c.req.valid("json").reason);
    return c.json(answeredView(request, response), 201);
  });
}
