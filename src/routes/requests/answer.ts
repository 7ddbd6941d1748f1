import { createRoute } from "@hono/zod-openapi";
import { servedOn, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { actorOf } from "../../audit/audit.ts";
import { ANSWERERS, answerRequest, answerableRequest, answererOf, answeredView } from "../../requests/answers.ts";
import { RequestIdParam } from "../../requests/schemas.ts";
import { AnsweredSchema, AnswerSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/requests/{id}/response",
  operationId: "answerRequest",
  ...servedOn("response"),
  tags: ["Queue"],
  summary: "Answer a request (response network; operators and admins). Answering an answered request corrects the answer.",
  ...access({ roles: ANSWERERS, scope: "requests:write" }),
  request: { params: RequestIdParam, body: { required: true, content: { "application/json": { schema: AnswerSchema } } } },
  responses: {
    201: { description: "Answered; travels to the request network with the next batch", content: { "application/json": { schema: AnsweredSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413),
  },
});

export function registerRequestsAnswer(app: App) {
  app.openapi(route, async (c) => {
    const actor = answererOf(principalOf(c), actorOf(c));
    const r = await answerableRequest(c.get("services"), c.req.valid("param").id);
    const { request, response } = await answerRequest(c.get("services"), r, actor, c.req.valid("json"));
    c.header("Location", `/v1/requests/${r.id}/response`);
    return c.json(answeredView(request, response), 201);
  });
}
