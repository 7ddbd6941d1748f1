import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { access } from "../../middleware/auth.ts";
import { courierPolicy } from "../../transfer/access.ts";
import { ApiError, problemResponses } from "../../errors.ts";
import { readBodyCapped } from "../../lib/http.ts";
import { maxFileBytes } from "../../transfer/import.ts";
import { queueUpload, receiveUpload } from "../../transfer/inbox.ts";
import { withJobLeaseWaiting } from "../../jobs/lease.ts";
import { ImportResultSchema } from "./schemas.ts";

/** How long an upload waits for a running import before it is stored as queued. */
const LEASE_WAIT_MS = 10_000;

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
    // One importer at a time (the cron job takes the same lease). A courier never has to come
    // back: after a bounded wait the file is stored anyway and judged by the next run.
    const r = await withJobLeaseWaiting(s, "transfer-import", 5 * 60_000, LEASE_WAIT_MS, () => receiveUpload(s, bytes, name));
    return c.json(r.ran ? r.value : await queueUpload(s, bytes, name), r.ran ? 200 : 202);
  });
}
