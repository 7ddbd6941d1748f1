import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { problemResponses } from "../../errors.ts";
import { retryBatch } from "../../transfer/manual.ts";
import { ImportResultSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/transfer/batches/{id}/retry",
  operationId: "retryBatch",
  tags: ["Transfer"],
  summary: "Judge a quarantined or held batch again (e.g. after configuring the peer's rotated key)",
  ...access(courierPolicy("transfer:write")),
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ description: "receipt_id" }) }) },
  responses: { 200: { description: "Outcome", content: { "application/json": { schema: ImportResultSchema } } }, ...problemResponses(401, 403, 404, 409, 503) },
});

export function registerBatchesRetry(app: App) {
  app.openapi(route, async (c) => c.json(await retryBatch(c.get("services"), c.req.valid("param").id), 200));
}
