import { bounded } from "../../../lib/text.ts";
import type { ExportedBatchRow } from "../../../transfer/exported.ts";
import type { ReceiptRow } from "../../../transfer/receipts.ts";
import type { DeadLetterRow } from "../../../transfer/dead-letters.ts";
import { PostForm } from "../../components/form.tsx";
import type { Column } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";

export const TRANSFER_PATH = "/console/transfer";
const RETRYABLE: readonly string[] = ["quarantined", "held"];
const size = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 102.4) / 10} KiB` : `${Math.round(n / 104857.6) / 10} MiB`);
const outcomeClass = (o: string) => (o === "quarantined" ? "status-failure" : o === "held" || o === "pending" ? "warn" : undefined);

/** Received batches (receipts), with a retry button where the batch can be judged again. */
export const receivedColumns = (now: Date, csrf: string): Column<ReceiptRow>[] => [
  { label: "Sequence", cell: (r) => (r.sequence === null ? "–" : `#${r.sequence}`), numeric: true },
  { label: "Outcome", cell: (r) => <span class={outcomeClass(r.outcome)}>{r.outcome}</span> },
  { label: "Reason", cell: (r) => (r.reason ? bounded(r.reason, 300) : "–") },
  { label: "Received", cell: (r) => <Time at={r.receivedAt} now={now} /> },
  { label: "Records", cell: (r) => r.records ?? "–", numeric: true },
  { label: "File", cell: (r) => `${bounded(r.fileName, 80)} (${size(r.bytes)})` },
  { label: "Receipt", cell: (r) => <code>{r.id}</code> },
  { label: "Tries", cell: (r) => r.attempts, numeric: true },
  {
    label: "Action",
    cell: (r) =>
      RETRYABLE.includes(r.outcome) ? (
        <PostForm action={`${TRANSFER_PATH}/retry`} csrf={csrf} class="inline">
          <input type="hidden" name="receipt" value={r.id} />
          <button type="submit" class="secondary" aria-label={`Retry receipt ${r.id}`}>
            Retry
          </button>
        </PostForm>
      ) : (
        "–"
      ),
  },
];

/** Exported batches, each downloadable (the same bytes as GET /v1/transfer/outbox/{id}). */
export const exportedColumns = (now: Date): Column<ExportedBatchRow>[] => [
  { label: "Sequence", cell: (b) => `#${b.sequence}`, numeric: true },
  { label: "Created", cell: (b) => <Time at={b.createdAt} now={now} /> },
  { label: "Records", cell: (b) => b.records, numeric: true },
  { label: "Size", cell: (b) => size(b.bytes), numeric: true },
  { label: "Acknowledged", cell: (b) => (b.acknowledgedAt ? <Time at={b.acknowledgedAt} now={now} /> : <span class="warn">not yet</span>) },
  { label: "Peer said", cell: (b) => (b.peerOutcome ? <span class="status-failure">{`${b.peerOutcome}: ${bounded(b.peerReason ?? "", 200)}`}</span> : "–") },
  { label: "Resent", cell: (b) => b.resentCount, numeric: true },
  {
    label: "File",
    cell: (b) => (
      <a href={`${TRANSFER_PATH}/outbox/${encodeURIComponent(b.id)}`} download={b.fileName} aria-label={`Download batch #${b.sequence}`}>
        Download
      </a>
    ),
  },
];

/** Dead letters; admins may retry an open one held here (in: apply again, out: back into the outbox). */
export const deadLetterColumns = (now: Date, csrf: string, canRetry: boolean): Column<DeadLetterRow>[] => [
  { label: "Side", cell: (d) => d.side },
  { label: "Kind", cell: (d) => <code>{d.kind}</code> },
  { label: "Record", cell: (d) => <code>{`${d.recordId}${d.recordVersion === null ? "" : ` v${d.recordVersion}`}`}</code> },
  { label: "Batch", cell: (d) => (d.batchSequence === null ? "–" : `#${d.batchSequence}`), numeric: true },
  { label: "Reason", cell: (d) => bounded(d.reason, 300) },
  { label: "Status", cell: (d) => <span class={d.status === "open" ? "warn" : undefined}>{d.status}</span> },
  { label: "Since", cell: (d) => <Time at={d.createdAt} now={now} /> },
  {
    label: "Action",
    cell: (d) =>
      canRetry && d.status === "open" && d.side !== "peer" ? (
        <PostForm action={`${TRANSFER_PATH}/retry-dead-letter`} csrf={csrf} class="inline">
          <input type="hidden" name="id" value={d.id} />
          <button type="submit" class="secondary" aria-label={`Retry dead letter ${d.id}`}>
            Retry
          </button>
        </PostForm>
      ) : (
        "–"
      ),
  },
];
