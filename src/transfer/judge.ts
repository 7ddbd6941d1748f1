// Judging the records of a verified batch: ownership (a security rule: the whole file is
// refused), then each record against its kind's schema (a record that fails is set aside as a
// dead letter; the rest is applied), and the peer's audit chain.
import type { BatchRecord } from "./batch/index.ts";
import { KIND_BY_NAME } from "../record-kinds.ts";
import { parseRecordData, sendsKind, type AnyKind, type NetworkRole } from "./contract.ts";
import { bounded, MAX_REASON } from "../lib/text.ts";

export interface Accepted {
  kind: AnyKind;
  record: BatchRecord;
  value: Record<string, unknown>;
}
export interface Rejected {
  record: BatchRecord;
  reason: string;
}
export interface Judged {
  accepted: Accepted[];
  dead: Rejected[];
  /** Fields this release does not know, by kind: ignored, reported in status. */
  ignored: Record<string, string[]>;
}

/** A record of a kind the sender does not own is a security failure: returns the reason, or null. */
export function ownershipProblem(records: readonly BatchRecord[], sender: NetworkRole): string | null {
  for (const r of records) {
    const k = KIND_BY_NAME.get(r.kind);
    if (k && !sendsKind(k, sender)) return bounded(`record ${r.kind}/${r.id}: the ${sender} network does not own "${r.kind}" records`, MAX_REASON);
  }
  return null;
}

/** Sorts every record into applied or dead letter. Never throws. */
export function judgeRecords(records: readonly BatchRecord[]): Judged {
  const out: Judged = { accepted: [], dead: [], ignored: {} };
  for (const r of records) {
    const k = KIND_BY_NAME.get(r.kind);
    if (!k) {
      out.dead.push({ record: r, reason: `this release does not know "${r.kind}" records (a newer peer?)` });
      continue;
    }
    const parsed = parseRecordData(k, r.data, r.schema ?? 1);
    if (!parsed.ok) {
      out.dead.push({ record: r, reason: parsed.reason });
      continue;
    }
    if (k.idOf(parsed.value as never) !== r.id) {
      out.dead.push({ record: r, reason: "the envelope id does not match the data's id" });
      continue;
    }
    if (parsed.ignored.length) {
      const seen = new Set(out.ignored[r.kind] ?? []);
      for (const f of parsed.ignored) if (seen.size < 50) seen.add(bounded(f, 64));
      out.ignored[r.kind] = [...seen];
    }
    out.accepted.push({ kind: k, record: r, value: parsed.value });
  }
  return out;
}
