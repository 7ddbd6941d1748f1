import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { importInbox } from "../../transfer/inbox.ts";
import { withJobLeaseWaiting } from "../../jobs/lease.ts";
import { ImportResultSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/transfer/import",
  operationId: "importNow",
  tags: ["Transfer"],
  summary: "Import now: files placed in the inbox area, then held batches whose gap has filled",
  ...access(courierPolicy("transfer:write")),
  responses: {
    200: { description: "Outcomes", content: { "application/json": { schema: z.object({ results: z.array(ImportResultSchema) }).openapi("ImportRun") } } },
    ...problemResponses(401, 403, 409, 503),
  },
});

export function registerImport(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const r = await withJobLeaseWaiting(s, "transfer-import", 5 * 60_000, 10_000, () => importInbox(s));
    if (!r.ran) throw new ApiError("conflict", { detail: "an import is running; try again shortly", headers: { "retry-after": "5" } });
    return c.json({ results: r.value }, 200);
  });
}
