import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { problemResponses } from "../../errors.ts";
import { exportBatches } from "../../transfer/export.ts";
import { withJobLease } from "../../jobs/lease.ts";
import { ApiError } from "../../errors.ts";

const Exported = z.object({ id: z.string(), sequence: z.number().int(), records: z.number().int(), bytes: z.number().int(), file_name: z.string() });

const route = createRoute({
  method: "post",
  path: "/v1/transfer/export",
  operationId: "exportNow",
  tags: ["Transfer"],
  summary: "Export the outbox now (resend: re-sign batches unacknowledged past the threshold)",
  ...access(courierPolicy("transfer:write")),
  request: {
    body: {
      required: false,
      content: {
        "application/json": {
          schema: z
            .object({ resend: z.boolean().default(false) })
            .strict()
            .openapi("ExportRequest"),
        },
      },
    },
  },
  responses: {
    200: {
      description: "What was exported",
      content: { "application/json": { schema: z.object({ exported: z.array(Exported), resent: z.array(Exported) }).openapi("ExportResult") } },
    },
    ...problemResponses(400, 401, 403, 409, 503),
  },
});

export function registerTransferExport(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const body = (c.req.valid("json") ?? {}) as { resend?: boolean };
    // The same lease as the cron job: never two exporters at once.
    const r = await withJobLease(s, "transfer-export", 5 * 60_000, () => exportBatches(s, { resend: body.resend ?? false }));
    if (!r.ran) throw new ApiError("conflict", { detail: "an export is running; try again shortly" });
    return c.json(r.value, 200);
  });
}
