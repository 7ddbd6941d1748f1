import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { readBodyCapped } from "../../lib/http.ts";
import { maxFileBytes } from "../../transfer/import.ts";
import { uploadBatch } from "../../transfer/manual.ts";
import { ImportResultSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/transfer/inbox",
  operationId: "uploadBatch",
  tags: ["Transfer"],
  summary: "Upload one batch file (the raw file is the body); answers with the verification outcome",
  ...access(courierPolicy("transfer:write")),
  request: { body: { required: true, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } } },
  responses: {
    200: { description: "Outcome", content: { "application/json": { schema: ImportResultSchema } } },
    202: { description: "Stored while another import ran (outcome queued); the next run judges it", content: { "application/json": { schema: ImportResultSchema } } },
    ...problemResponses(400, 401, 403, 413, 415, 503),
  },
});

export function registerInbox(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/octet-stream\b/i.test(type)) throw new ApiError("unsupported_media_type", { detail: "send the batch file as application/octet-stream" });
    const bytes = await readBodyCapped(c.req.raw, maxFileBytes(s));
    if (!bytes) throw new ApiError("payload_too_large", { detail: `a batch file is at most ${maxFileBytes(s)} bytes` });
    const name = c.req.header("x-airlock-file-name") ?? "upload";
    const { result, queued } = await uploadBatch(s, bytes, name);
    return c.json(result, queued ? 202 : 200);
  });
}
