import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { problemResponses } from "../../errors.ts";
import { exportedBatchFile } from "../../transfer/exported.ts";

const route = createRoute({
  method: "get",
  path: "/v1/transfer/outbox/{batchId}",
  operationId: "downloadBatch",
  tags: ["Transfer"],
  summary: "Download one batch file",
  ...access(courierPolicy("transfer:read")),
  request: { params: z.object({ batchId: z.string().min(1).max(64) }) },
  responses: {
    200: { description: "The batch file", content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } },
    ...problemResponses(401, 403, 404),
  },
});

const b64 = (hex: string) => btoa(String.fromCharCode(...(hex.match(/../g) ?? []).map((h) => parseInt(h, 16))));

export function registerOutboxGet(app: App) {
  app.openapi(route, async (c) => {
    const { batch: b, file } = await exportedBatchFile(c.get("services"), c.req.valid("param").batchId);
    return c.body(file as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="${b.fileName}"`,
      "X-Airlock-Batch-Sequence": String(b.sequence),
      ETag: `"${b.fileSha256}"`,
      Digest: `sha-256=${b64(b.fileSha256)}`,
      "Cache-Control": "no-store",
    });
  });
}
