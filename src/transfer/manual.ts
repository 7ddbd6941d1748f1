// What a courier or an admin does by hand (the API or the console), under the import lease the
// cron job also takes, so one importer runs at a time.
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { withJobLeaseWaiting } from "../jobs/lease.ts";
import { retryReceipt, type ImportResult } from "./import.ts";
import { queueUpload, receiveUpload } from "./inbox.ts";

const LEASE_TTL_MS = 5 * 60_000;
/** How long an upload or a retry waits for a running import. */
const LEASE_WAIT_MS = 10_000;

/**
 * One uploaded file: refused before anything is stored if it is not a batch at all (4xx), else
 * stored and judged at once. A courier never has to come back: after a bounded wait for a
 * running import the file is stored anyway (`queued`) and judged by the next run.
 */
export async function uploadBatch(s: Services, bytes: Uint8Array, name: string): Promise<{ result: ImportResult; queued: boolean }> {
  const r = await withJobLeaseWaiting(s, "transfer-import", LEASE_TTL_MS, LEASE_WAIT_MS, () => receiveUpload(s, bytes, name));
  return r.ran ? { result: r.value, queued: false } : { result: await queueUpload(s, bytes, name), queued: true };
}

/** Judges a quarantined or held receipt again; a 409 while an import runs past the wait. */
export async function retryBatch(s: Services, receiptId: string): Promise<ImportResult> {
  const r = await withJobLeaseWaiting(s, "transfer-import", LEASE_TTL_MS, LEASE_WAIT_MS, () => retryReceipt(s, receiptId));
  if (!r.ran) throw new ApiError("conflict", { detail: "an import is running; try again shortly", headers: { "retry-after": "5" } });
  return r.value;
}
