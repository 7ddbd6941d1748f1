// What the courier's operations (pull.ts, push.ts, carry.ts) report: progress events as they go,
// a structured summary at the end, and the one-line summary the CLI prints.
import type { FerryErrorInfo } from "./errors.ts";
import type { InboxOutcome } from "./wire.ts";

export type FerryPhase = "pull" | "push";

export type FerryEvent =
  | { type: "listed"; phase: FerryPhase; files: number; bytes: number }
  | {
      type: "file";
      phase: FerryPhase;
      index: number;
      total: number;
      name: string;
      bytes: number;
      status: PullStatus | PushStatus;
      sequence: number | null;
      reason?: string;
      removed?: boolean;
    }
  | { type: "warning"; message: string };

export type PullStatus = "downloaded" | "skipped" | "failed";

export interface PullFileResult {
  id: string;
  name: string;
  sequence: number;
  bytes: number;
  sha256: string;
  status: PullStatus;
  /** Why a file was skipped ("already present") or replaced. */
  note?: string;
  error?: FerryErrorInfo;
}

export interface PullSummary {
  command: "pull";
  source: string;
  folder: string;
  listed: number;
  /** Downloaded and written. */
  pulled: number;
  /** Already in the folder with the same name and SHA-256. */
  skipped: number;
  failed: number;
  /** Bytes downloaded. */
  bytes: number;
  files: PullFileResult[];
  ok: boolean;
}

export type PushStatus = InboxOutcome | "failed" | "skipped";

export interface PushFileResult {
  name: string;
  /** From the file's (unverified) manifest; null for a file that is not a batch. */
  sequence: number | null;
  bytes: number;
  sha256: string | null;
  status: PushStatus;
  /** The destination's reason (held, quarantined), or why a file was skipped. */
  reason?: string;
  /** Deleted locally after the destination confirmed it (--remove-after). */
  removed: boolean;
  error?: FerryErrorInfo;
}

export interface PushSummary {
  command: "push";
  destination: string;
  folder: string;
  /** Files the destination answered for. */
  pushed: number;
  applied: number;
  replay: number;
  held: number;
  quarantined: number;
  /** Not uploaded or no valid answer: network/HTTP error, too large, changed meanwhile. */
  failed: number;
  /** Not batch files, or already delivered (carry's `delivered` set). */
  skipped: number;
  removed: number;
  /** Bytes uploaded and answered for. */
  bytes: number;
  files: PushFileResult[];
  /** False when any file failed or was quarantined. Held is not a failure: the destination keeps it until the gap fills. */
  ok: boolean;
}

export interface CarrySummary {
  command: "carry";
  source: string;
  destination: string;
  pull: PullSummary;
  push: PushSummary;
  /** Files removed from the folder because the source no longer lists them (prune). */
  pruned: number;
  ok: boolean;
}

export interface CommonOptions {
  onEvent?: (event: FerryEvent) => void;
  signal?: AbortSignal;
}

/** 12.4 KB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The one-line summary the CLI prints on stdout. */
export function summaryLine(s: PullSummary | PushSummary | CarrySummary): string {
  if (s.command === "pull") return `pulled ${plural(s.pulled, "file")}, ${formatBytes(s.bytes)}; ${s.skipped} already present; ${s.failed} failed`;
  const outcomes = (p: PushSummary) => `${p.applied} applied, ${p.replay} replay, ${p.held} held, ${p.quarantined} quarantined`;
  if (s.command === "push") {
    return `pushed ${plural(s.pushed, "file")}, ${formatBytes(s.bytes)}: ${outcomes(s)}; ${s.failed} failed${s.skipped ? `; ${s.skipped} skipped` : ""}${s.removed ? `; ${s.removed} removed` : ""}`;
  }
  return `carried ${plural(s.push.pushed, "file")}, ${formatBytes(s.push.bytes)} (pulled ${s.pull.pulled}, ${s.pull.skipped} already present): ${outcomes(s.push)}; ${s.pull.failed + s.push.failed} failed`;
}
