import type { Services } from "../services.ts";
import { exportBatches } from "../transfer/export.ts";
import { importInbox } from "../transfer/inbox.ts";

const configured = (s: Services) => Boolean(s.config.transfer.signingKey && s.config.transfer.peerPublicKeys);

/** Every 5 minutes (cron) or every few seconds (local development): judge and apply what arrived. */
export async function transferImport(s: Services) {
  if (!configured(s)) return { skipped: "transfer keys not configured" };
  const results = await importInbox(s);
  if (!results.length) return undefined; // nothing arrived: no run record
  const by: Record<string, number> = {};
  for (const r of results) by[r.outcome] = (by[r.outcome] ?? 0) + 1;
  return { files: results.length, ...by };
}

/** Right after the import, so the acknowledgement it produced leaves at once. */
export async function transferExport(s: Services) {
  if (!configured(s)) return { skipped: "transfer keys not configured" };
  const { exported } = await exportBatches(s);
  if (!exported.length) return undefined;
  return { batches: exported.length, records: exported.reduce((n, b) => n + b.records, 0), last_sequence: exported.at(-1)!.sequence };
}
