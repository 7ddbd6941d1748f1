import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { actorOf } from "../../audit/audit.ts";
import { supersedeBatch } from "../../transfer/supersede.ts";

const SupersedeSchema = z
  .object({
    omit: z
      .array(z.object({ kind: z.string().min(1).max(64), id: z.string().min(1).max(256) }).strict())
      .min(1)
      .max(1000)
      .openapi({ description: "The records to leave out (they become outgoing dead letters)" }),
    reason: z.string().trim().min(1).max(500),
  })
  .strict()
  .openapi("SupersedeBatch");

const SupersededSchema = z
  .object({
    id: z.string().openapi({ description: "The new batch id of this sequence" }),
    sequence: z.number().int(),
    records: z.number().int(),
    bytes: z.number().int(),
    file_name: z.string(),
    superseded: z.array(z.string()).openapi({ description: "Body hashes this batch replaces" }),
    omitted: z.number().int(),
  })
  .openapi("SupersededBatch");

const route = createRoute({
  method: "post",
  path: "/v1/transfer/outbox/{sequence}/supersede",
  operationId: "supersedeBatch",
  tags: ["Transfer"],
  summary: "Re-sign an unacknowledged batch without some of its records (the peer quarantined it); carry the new file instead",
  ...access({ roles: ["admin"], scope: "transfer:write" }),
  request: {
    params: z.object({ sequence: z.coerce.number().int().min(1).openapi({ description: "The outgoing sequence" }) }),
    body: { required: true, content: { "application/json": { schema: SupersedeSchema } } },
  },
  responses: { 200: { description: "The superseding batch", content: { "application/json": { schema: SupersededSchema } } }, ...problemResponses(400, 401, 403, 404, 409, 503) },
});

export function registerSupersede(app: App) {
  app.openapi(route, async (c) => {
    const result = await supersedeBatch(c.get("services"), c.req.valid("param").sequence, c.req.valid("json"), actorOf(c));
    return c.json(result, 200);
  });
}
