// carry: pull, then push what the source listed; nothing is ever deleted at the source: it keeps
// its batches until the other side acknowledges them inside its own batches.
import { isSafeBatchFileName, type BatchFolder } from "./folder.ts";
import { pull } from "./pull.ts";
import { push } from "./push.ts";
import type { CarrySummary, CommonOptions } from "./summary.ts";
import type { TransferClient } from "./client.ts";

export interface CarryOptions extends CommonOptions {
  source: TransferClient;
  destination: TransferClient;
  /** The transfer folder (a temporary one in the CLI unless --via). */
  folder: BatchFolder;
  includeAcknowledged?: boolean;
  /**
   * For a long-running ferry: SHA-256s the destination already has, i.e. answered applied, replay,
   * held or quarantined for. They are not uploaded again: a held batch is applied by the
   * destination itself once the gap fills, a quarantined one is retried there
   * (POST /v1/transfer/batches/:id/retry) once its cause is fixed; another upload would only add a
   * receipt. This round's answers are added; entries the source no longer lists are dropped.
   */
  delivered?: Set<string>;
  /**
   * Remove folder files the source no longer lists (it saw them acknowledged, so the destination
   * has them). Only for a folder the ferry owns, never a courier's own folder.
   */
  prune?: boolean;
}

/** Pull from the source, then push what the source lists to the destination. Never deletes anything at the source. */
export async function carry(options: CarryOptions): Promise<CarrySummary> {
  const { source, destination, folder, onEvent, signal, delivered } = options;
  const pulled = await pull({ source, folder, includeAcknowledged: options.includeAcknowledged, onEvent, signal });
  const listed = new Set(pulled.files.map((f) => f.name));
  // Only what is in the folder with the listed, verified bytes.
  const ready = new Set(pulled.files.filter((f) => f.status === "downloaded" || f.status === "skipped").map((f) => f.name));
  const pushed = await push({ destination, folder, only: ready, delivered, onEvent, signal });

  let pruned = 0;
  if (delivered) {
    const listedSha = new Set(pulled.files.map((f) => f.sha256));
    for (const sha of delivered) if (!listedSha.has(sha)) delivered.delete(sha);
    for (const f of pushed.files) if (f.status !== "failed" && f.status !== "skipped" && f.sha256) delivered.add(f.sha256);
  }
  if (options.prune) {
    for (const e of await folder.list()) {
      if (listed.has(e.name) || !isSafeBatchFileName(e.name)) continue;
      await folder.remove(e.name);
      pruned++;
    }
  }
  return { command: "carry", source: source.baseUrl, destination: destination.baseUrl, pull: pulled, push: pushed, pruned, ok: pulled.ok && pushed.ok };
}
