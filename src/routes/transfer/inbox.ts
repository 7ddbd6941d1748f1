import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../lib/router.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { readBodyCapped } from "../../lib/http.ts";
import { maxFileBytes, receiveUpload } from "../../transfer/import.ts";
import { withJobLease } from "../../jobs/lease.ts";
import { courierAccess } from "./access.ts";

export const ImportResultSchema = z
  .object({
    receipt_id: z.string(),
    id: z.string(),
    sequence: z.number().int().nullable(),
    outcome: z.enum(["applied", "replay", "held", "quarantined"]),
    reason: z.string().optional(),
  })
  .openapi("ImportResult");

const route = createRoute({
  method: "post",
  path: "/v1/transfer/inbox",
  tags: ["Transfer"],
  summary: "Upload one batch file (the raw file is the body); answers with the verification outcome",
  ...courierAccess("transfer:write"),
  request: { body: { required: true, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } } },
  responses: {
    200: { description: "Outcome", content: { "application/json": { schema: ImportResultSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 503),
  },
});

export function registerInbox(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/octet-stream\b/i.test(type)) throw new ApiError("unsupported_media_type", { detail: "send the batch file as application/octet-stream" });
    const bytes = await readBodyCapped(c.req.raw, maxFileBytes(s));
    if (!bytes) throw new ApiError("payload_too_large", { detail: `a batch file is at most ${maxFileBytes(s)} bytes` });
    // One importer at a time (the cron job takes the same lease).
    const r = await withJobLease(s, "transfer-import", 5 * 60_000, () => receiveUpload(s, bytes, c.req.header("x-airlock-file-name") ?? "upload"));
    if (!r.ran) throw new ApiError("conflict", { detail: "an import is running; upload again shortly" });
    return c.json(r.value, 200);
  });
}
