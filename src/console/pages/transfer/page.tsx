import { z } from "zod";
import { actorOf } from "../../../audit/audit.ts";
import { ApiError } from "../../../errors.ts";
import { checkAccess } from "../../../identity/access.ts";
import { SESSION_ONLY } from "../../../identity/scopes.ts";
import { courierPolicy, deadLetterRetryPolicy } from "../../../transfer/access.ts";
import { listDeadLetters, retryDeadLetter } from "../../../transfer/dead-letters.ts";
import { listExportedBatches } from "../../../transfer/exported.ts";
import { maxFileBytes, RECEIPT_OUTCOMES, type ImportResult } from "../../../transfer/import.ts";
import { retryBatch, uploadBatch } from "../../../transfer/manual.ts";
import { listReceipts } from "../../../transfer/receipts.ts";
import { transferStatus } from "../../../transfer/status.ts";
import { definePage, type PageContext } from "../../page.ts";
import { ErrorSummary, Input, PostForm, Select, FilterActions, type FieldErrors } from "../../components/form.tsx";
import { Pager, Table } from "../../components/table.tsx";
import { FiringAlerts, LinkStatus } from "../../components/link-status.tsx";
import type { Flash } from "../../flash.ts";
import { deadLetterColumns, exportedColumns, receivedColumns, TRANSFER_PATH } from "./lists.tsx";

const PAGE_SIZE = 20;
/** Room for the multipart framing and the CSRF field around the largest file the API takes. */
const MULTIPART_SLACK = 16 * 1024;
const LABELS = { outcome: "Outcome", acknowledged: "Exported batches", dl_status: "Dead letters", file: "Batch file" };
const Filters = z.object({
  outcome: z.enum(["", ...RECEIPT_OUTCOMES], "Pick an outcome from the list"),
  acknowledged: z.enum(["", "yes"], "Pick from the list"),
  dl_status: z.enum(["", "open", "applied", "requeued"], "Pick from the list"),
});
const Id = z.string().min(1).max(64);

/** The flash for what the importer did with a file: applied and replays are fine, anything else needs a look. */
function outcomeFlash(r: ImportResult, what: string): Flash {
  const seq = r.sequence === null ? "" : ` #${r.sequence}`;
  const dead = r.dead_letters ? `, ${r.dead_letters} records set aside as dead letters` : "";
  if (r.outcome === "applied") return { kind: "ok", text: `${what}: batch${seq} applied (receipt ${r.receipt_id})${dead}.` };
  if (r.outcome === "replay" || r.outcome === "queued") return { kind: "ok", text: `${what}: ${r.outcome}${seq} (receipt ${r.receipt_id}): ${r.reason ?? ""}` };
  return { kind: "error", text: `${what}: batch${seq} ${r.outcome} (receipt ${r.receipt_id}): ${r.reason ?? "no reason given"}` };
}

async function view(ctx: PageContext, o: { fileError?: string; status?: 200 | 400 } = {}) {
  const raw = { outcome: ctx.query("outcome"), acknowledged: ctx.query("acknowledged"), dl_status: ctx.query("dl_status") };
  const cursors = { in_cursor: ctx.query("in_cursor", 600), out_cursor: ctx.query("out_cursor", 600), dl_cursor: ctx.query("dl_cursor", 600) };
  const parsed = Filters.safeParse(raw);
  const errors: FieldErrors = {};
  if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
  if (o.fileError) errors.file = o.fileError;
  const f = parsed.success ? parsed.data : { outcome: "" as const, acknowledged: "" as const, dl_status: "" as const };
  const { s, now } = ctx;
  const [status, received, exported, dead] = await Promise.all([
    transferStatus(s),
    listReceipts(s, { outcome: f.outcome || undefined }, { limit: PAGE_SIZE, cursor: cursors.in_cursor || undefined }),
    listExportedBatches(s, { includeAcknowledged: f.acknowledged === "yes" }, { limit: PAGE_SIZE, cursor: cursors.out_cursor || undefined }),
    listDeadLetters(s, { status: f.dl_status || undefined }, { limit: PAGE_SIZE, cursor: cursors.dl_cursor || undefined }),
  ]);
  const params = { ...raw, ...cursors };
  const canRetryDead = deadLetterRetryPolicy.roles.includes(ctx.user.role);
  return ctx.render(
    <>
      <ErrorSummary errors={errors} labels={LABELS} />
      <FiringAlerts alerts={status.alerts} now={now} />
      <LinkStatus status={status} now={now} />
      <h2 id="upload-title">Upload a batch</h2>
      <PostForm action={`${TRANSFER_PATH}/upload`} csrf={ctx.csrf} enctype="multipart/form-data" class="upload">
        <Input
          name="file"
          type="file"
          label={LABELS.file}
          hint={`A .batch file from the peer network, at most ${Math.floor(maxFileBytes(s) / 1024)} KiB. It is verified and applied at once; a refused file is kept in quarantine with the reason.`}
          error={errors.file}
          required
        />
        <button type="submit">Upload and verify</button>
      </PostForm>
      <form method="get" action={TRANSFER_PATH} class="filters" aria-label="Filter the lists">
        <Select
          name="outcome"
          label={LABELS.outcome}
          value={raw.outcome}
          error={errors.outcome}
          options={[{ value: "", label: "Any" }, ...RECEIPT_OUTCOMES.map((v) => ({ value: v, label: v }))]}
        />
        <Select
          name="acknowledged"
          label={LABELS.acknowledged}
          value={raw.acknowledged}
          error={errors.acknowledged}
          options={[
            { value: "", label: "Not yet acknowledged" },
            { value: "yes", label: "All" },
          ]}
        />
        <Select
          name="dl_status"
          label={LABELS.dl_status}
          value={raw.dl_status}
          error={errors.dl_status}
          options={[
            { value: "", label: "Any status" },
            { value: "open", label: "Open" },
            { value: "applied", label: "Applied" },
            { value: "requeued", label: "Requeued" },
          ]}
        />
        <FilterActions clearHref={TRANSFER_PATH} />
      </form>
      <h2>Received batches</h2>
      <Table caption="Received batches, newest first" columns={receivedColumns(now, ctx.csrf)} rows={received.items} empty="No batch received matches." />
      <Pager path={TRANSFER_PATH} params={params} name="in_cursor" label="Pages of received batches" cursor={cursors.in_cursor || undefined} next={received.next_cursor} />
      <h2>Exported batches</h2>
      <Table caption="Exported batches, oldest first" columns={exportedColumns(now)} rows={exported.items} empty="No exported batch waits for an acknowledgement." />
      <Pager path={TRANSFER_PATH} params={params} name="out_cursor" label="Pages of exported batches" cursor={cursors.out_cursor || undefined} next={exported.next_cursor} />
      <h2>Dead letters</h2>
      <Table caption="Dead letters, newest first" columns={deadLetterColumns(now, ctx.csrf, canRetryDead)} rows={dead.items} empty="No dead letter matches." />
      <Pager path={TRANSFER_PATH} params={params} name="dl_cursor" label="Pages of dead letters" cursor={cursors.dl_cursor || undefined} next={dead.next_cursor} />
    </>,
    { status: o.status ?? (parsed.success ? 200 : 400) },
  );
}

/** An ApiError as a flash (the page stays where the operator is); anything else is a fault. */
function refusal(ctx: PageContext, e: unknown, what: string): Response {
  if (!(e instanceof ApiError)) throw e;
  return ctx.redirect(TRANSFER_PATH, { kind: "error", text: `${what}: ${e.code}: ${e.message}` });
}

/** The link's batches (admins and couriers, as the transfer API): status, lists, download, upload, retries. */
export const transferPage = definePage({
  path: TRANSFER_PATH,
  title: "Transfer",
  nav: "Transfer",
  roles: courierPolicy("transfer:read").roles,
  get: (ctx) => view(ctx),
  // The API's own limit for a batch file; every other console form keeps the small one.
  uploads: { upload: (s) => maxFileBytes(s) + MULTIPART_SLACK },
  actions: {
    async upload(ctx) {
      const file = ctx.form.file;
      if (!(file instanceof File) || file.size === 0) return view(ctx, { fileError: "Choose a batch file to upload", status: 400 });
      const bytes = new Uint8Array(await file.arrayBuffer());
      try {
        const { result } = await uploadBatch(ctx.s, bytes, file.name || "upload");
        return ctx.redirect(TRANSFER_PATH, outcomeFlash(result, `Upload of ${file.name}`));
      } catch (e) {
        // Not a batch at all, or too large: refused before anything was stored.
        if (e instanceof ApiError && (e.code === "not_a_batch" || e.code === "payload_too_large"))
          return view(ctx, { fileError: `Refused, nothing stored: ${e.message}`, status: 400 });
        return refusal(ctx, e, "Upload");
      }
    },
    async retry(ctx) {
      const id = Id.safeParse(ctx.field("receipt"));
      if (!id.success) throw new ApiError("validation_failed", { detail: "receipt: 1 to 64 characters" });
      try {
        return ctx.redirect(TRANSFER_PATH, outcomeFlash(await retryBatch(ctx.s, id.data), "Retry"));
      } catch (e) {
        return refusal(ctx, e, "Retry");
      }
    },
    async "retry-dead-letter"(ctx) {
      checkAccess({ ...deadLetterRetryPolicy, scope: SESSION_ONLY }, ctx.c.get("principal"));
      const id = Id.safeParse(ctx.field("id"));
      if (!id.success) throw new ApiError("validation_failed", { detail: "id: 1 to 64 characters" });
      try {
        const row = await retryDeadLetter(ctx.s, id.data, actorOf(ctx.c));
        return ctx.redirect(TRANSFER_PATH, { kind: "ok", text: `Dead letter ${row.id} (${row.kind} ${row.recordId}) ${row.status}.` });
      } catch (e) {
        return refusal(ctx, e, "Dead letter retry");
      }
    },
  },
});
