import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { problemResponses } from "../../errors.ts";
import { transferStatus } from "../../transfer/status.ts";

const route = createRoute({
  method: "get",
  path: "/v1/transfer/status",
  operationId: "getTransferStatus",
  tags: ["Transfer"],
  summary: "Per direction: last exported, acknowledged, imported; held gaps; quarantined; backlog",
  ...access(courierPolicy("transfer:read")),
  responses: {
    200: { description: "Status", content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("TransferStatus") } } },
    ...problemResponses(401, 403),
  },
});

export function registerTransferStatus(app: App) {
  app.openapi(route, async (c) => c.json(await transferStatus(c.get("services")), 200));
}
