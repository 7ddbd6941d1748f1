import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { servedOn, type App } from "../../http/router.ts";
import type { HonoEnv } from "../../env.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { actorOf } from "../../audit/audit.ts";
import { answerRequest, type Actor } from "../../requests/answers.ts";
import { getRequest } from "../../requests/requests.ts";
import type { RequestRow, ResponseRow } from "../../requests/records.ts";
import { AnswerSchema, RequestIdParam } from "./schemas.ts";

export const ANSWERERS = ["admin", "operator"] as const;

export const AnsweredSchema = z
  .object({
    request_id: z.string(),
    status: z.string(),
    kind: z.enum(["answer", "rejection"]),
    content_type: z.string().nullable(),
    reason: z.string().nullable(),
    answered_by: z.string().nullable(),
    answered_at: z.string(),
    version: z.number().int(),
  })
  .openapi("Answered");

/** The body of an answer or a rejection: the request's new status and the response it got. */
export function answered(request: RequestRow, response: ResponseRow) {
  return {
    request_id: request.id,
    status: request.status,
    kind: response.kind,
    content_type: response.contentType,
    reason: response.reason,
    answered_by: response.answeredBy,
    answered_at: response.answeredAt,
    version: response.version,
  };
}

/** The operator (or admin) acting on the master. */
export function actorFor(c: Context<HonoEnv>): Actor {
  const p = principalOf(c);
  if (!p.userId || (p.role !== "admin" && p.role !== "operator")) throw new ApiError("forbidden");
  return { id: p.userId, role: p.role, audit: actorOf(c) };
}

/** On the master any request exists for operators; an unknown id is 404. */
export async function requestOr404(c: Context<HonoEnv>, id: string) {
  const s = c.get("services");
  if (s.config.role !== "response") {
    throw new ApiError("owned_by_other_network", { detail: "requests are answered on the response network, which owns their status after receipt" });
  }
  const row = await getRequest(s, id);
  if (!row) throw new ApiError("not_found", { detail: "no such request" });
  return row;
}

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
    const actor = actorFor(c);
    const r = await requestOr404(c, c.req.valid("param").id);
    const { request, response } = await answerRequest(c.get("services"), r, actor, c.req.valid("json"));
    c.header("Location", `/v1/requests/${r.id}/response`);
    return c.json(answered(request, response), 201);
  });
}
