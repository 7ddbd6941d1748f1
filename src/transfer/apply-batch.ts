// Applying a judged batch: its records, dead letters, the link state and the receipt in one
// atomic db.batch. src/transfer/import.ts decides whether a file gets this far.
import { and, eq, inArray, isNull, lte } from "drizzle-orm";
import { batchesIn, batchesOut } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { guard } from "../deps/db/guard.ts";
import { writeWithAudit } from "../audit/audit.ts";
import { RECORD_KINDS } from "../record-kinds.ts";
import type { Manifest } from "./batch/index.ts";
import { STATE, setState, stateIs } from "./state.ts";
import type { Judged } from "./judge.ts";
import { deadLetterStatements } from "./dead-letters.ts";

/** The body hashes a superseding batch replaces. */
export const supersedesOf = (m: Manifest): string[] => ("supersedes" in m && m.supersedes) || [];

function mergeIgnored(previous: string | undefined, now: Judged["ignored"]): string | null {
  if (!Object.keys(now).length) return null;
  const merged = JSON.parse(previous ?? "{}") as Record<string, string[]>;
  for (const [kind, fields] of Object.entries(now)) merged[kind] = [...new Set([...(merged[kind] ?? []), ...fields])].slice(0, 50);
  return JSON.stringify(merged);
}

/** The whole batch in one atomic db.batch, guarded so it applies exactly after `last`. */
export async function applyBatch(
  s: Services,
  receiptId: string,
  m: Manifest,
  judged: Judged,
  last: number,
  chain: { seq: number; hash: string } | null,
  ignoredBefore: string | undefined,
  fileSha: string | null,
) {
  const now = s.clock.now().toISOString();
  const ctx = { batchSequence: m.sequence, receivedAt: now };
  const statements: Statement[] = [...guard(s.db, stateIs(STATE.inLastSequence, last))];
  for (const k of RECORD_KINDS) {
    const rows = judged.accepted.filter((a) => a.kind === k).map((a) => a.value);
    if (rows.length) statements.push(...k.apply(s, rows, ctx));
  }
  statements.push(...deadLetterStatements(s, "in", m.sequence, judged.dead));
  const superseded = supersedesOf(m);
  statements.push(
    setState(s, STATE.inLastSequence, m.sequence),
    setState(s, STATE.inLastBodySha, m.body_sha256),
    setState(s, STATE.inLastSuperseded, JSON.stringify(superseded)),
    setState(s, STATE.inLastImportAt, now),
    setState(s, STATE.inPeerFormat, m.format),
    // The peer's ack marks our batches delivered.
    s.db.orm
      .update(batchesOut)
      .set({ acknowledgedAt: now })
      .where(and(lte(batchesOut.sequence, m.ack), isNull(batchesOut.acknowledgedAt))),
    s.db.orm
      .update(batchesIn)
      .set({
        outcome: "applied",
        reason: null,
        appliedAt: now,
        ...(fileSha ? { fileSha256: fileSha } : {}),
        batchId: m.batch_id,
        sequence: m.sequence,
        sourceNetwork: m.source,
        records: m.records,
        bodySha256: m.body_sha256,
        supersedes: superseded.length ? JSON.stringify(superseded) : null,
      })
      .where(eq(batchesIn.id, receiptId)),
  );
  // Other copies of this sequence waiting here are settled by this one.
  if (superseded.length) {
    statements.push(
      s.db.orm
        .update(batchesIn)
        .set({ outcome: "superseded", reason: `superseded by receipt ${receiptId}` })
        .where(and(eq(batchesIn.sequence, m.sequence), inArray(batchesIn.outcome, ["held", "quarantined"]), inArray(batchesIn.bodySha256, superseded))),
    );
  }
  if (m.format >= 2 && "release" in m) statements.push(setState(s, STATE.inPeerRelease, m.release), setState(s, STATE.inPeerSchema, m.schema_version ?? ""));
  if (chain) statements.push(setState(s, STATE.inPeerAuditSeq, chain.seq), setState(s, STATE.inPeerAuditHash, chain.hash));
  const ignored = mergeIgnored(ignoredBefore, judged.ignored);
  if (ignored) statements.push(setState(s, STATE.inIgnoredFields, ignored));
  if (m.records > 0) statements.push(setState(s, STATE.inLastWithRecords, m.sequence));
  const details = {
    receipt: receiptId,
    result: "applied",
    sequence: m.sequence,
    records: m.records,
    counts: m.counts,
    ack: m.ack,
    ...(judged.dead.length ? { dead_letters: judged.dead.length } : {}),
    ...(superseded.length ? { supersedes: superseded } : {}),
  };
  await writeWithAudit(s, [{ actorType: "system", action: "transfer.import", targetType: "batch", targetId: m.batch_id, details }], statements);
}
