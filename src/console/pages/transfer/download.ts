import { courierPolicy } from "../../../transfer/access.ts";
import { exportedBatchFile } from "../../../transfer/exported.ts";
import { definePage } from "../../page.ts";
import { TRANSFER_PATH } from "./lists.tsx";

/** `GET /console/transfer/outbox/:id`: the stored file, byte for byte, as GET /v1/transfer/outbox/{id} serves it. */
export const transferDownloadPage = definePage({
  path: `${TRANSFER_PATH}/outbox/:id`,
  title: "Download a batch",
  roles: courierPolicy("transfer:read").roles,
  async get(ctx) {
    const id = (ctx.c.req.param("id") ?? "").slice(0, 64);
    const { batch, file } = await exportedBatchFile(ctx.s, id);
    return ctx.c.body(file as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="${batch.fileName}"`,
      "X-Airlock-Batch-Sequence": String(batch.sequence),
      ETag: `"${batch.fileSha256}"`,
      "Cache-Control": "no-store",
    });
  },
});
