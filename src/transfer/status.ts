import { and, asc, count, desc, eq, gt, isNotNull, isNull } from "drizzle-orm";
import { auditLog, batchesIn, batchesOut, deadLetters, outbox } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { STATE, num, readState } from "./state.ts";
import { activeAlerts } from "../alerts/store.ts";

/** Per direction: what left, what was acknowledged, what arrived, what waits and why. */
export async function transferStatus(s: Services) {
  const now = s.clock.now();
  const state = await readState(s);
  const orm = s.db.orm;
  const lastOut = await orm.select().from(batchesOut).orderBy(desc(batchesOut.sequence)).limit(1).get();
  const lastAcked = await orm.select({ seq: batchesOut.sequence }).from(batchesOut).where(isNotNull(batchesOut.acknowledgedAt)).orderBy(desc(batchesOut.sequence)).limit(1).get();
  const cutoff = new Date(now.getTime() - s.config.transfer.ackWarnMs).toISOString();
  const unacked = await orm
    .select()
    .from(batchesOut)
    .where(and(isNull(batchesOut.acknowledgedAt), gt(batchesOut.records, 0)))
    .orderBy(asc(batchesOut.sequence))
    .all();
  const backlog = (await orm.select({ n: count() }).from(outbox).where(isNull(outbox.batchSequence)).get())?.n ?? 0;
  const auditBacklog =
    s.config.role === "request"
      ? ((
          await orm
            .select({ n: count() })
            .from(auditLog)
            .where(gt(auditLog.seq, num(state[STATE.outAuditSeq])))
            .get()
        )?.n ?? 0)
      : 0;
  const oldestPending = await orm.select({ at: outbox.createdAt }).from(outbox).where(isNull(outbox.batchSequence)).orderBy(asc(outbox.seq)).limit(1).get();

  const lastIn = num(state[STATE.inLastSequence]);
  const held = await orm
    .select({ id: batchesIn.id, sequence: batchesIn.sequence, received_at: batchesIn.receivedAt })
    .from(batchesIn)
    .where(eq(batchesIn.outcome, "held"))
    .orderBy(asc(batchesIn.sequence))
    .all();
  const quarantined = (await orm.select({ n: count() }).from(batchesIn).where(eq(batchesIn.outcome, "quarantined")).get())?.n ?? 0;
  const lastImportAt = state[STATE.inLastImportAt] ?? null;
  const openDead = await orm.select({ side: deadLetters.side, n: count() }).from(deadLetters).where(eq(deadLetters.status, "open")).groupBy(deadLetters.side).all();
  const dead = (side: "in" | "out" | "peer") => openDead.find((d) => d.side === side)?.n ?? 0;
  const refused = await orm
    .select({ sequence: batchesOut.sequence, reason: batchesOut.peerReason })
    .from(batchesOut)
    .where(and(isNull(batchesOut.acknowledgedAt), isNotNull(batchesOut.peerOutcome)))
    .orderBy(asc(batchesOut.sequence))
    .all();
  // Gaps: between what was applied and each held batch, the sequences nobody has delivered yet.
  const gaps: Array<{ from: number; to: number }> = [];
  let expect = lastIn + 1;
  for (const h of held) {
    if (h.sequence! > expect) gaps.push({ from: expect, to: h.sequence! - 1 });
    expect = Math.max(expect, h.sequence! + 1);
  }
  return {
    network_id: s.config.networkId,
    peer_network_id: s.config.peerNetworkId,
    outgoing: {
      last_exported: lastOut?.sequence ?? 0,
      last_exported_at: lastOut?.createdAt ?? null,
      last_acknowledged: lastAcked?.seq ?? 0,
      unacknowledged: unacked.length,
      oldest_unacknowledged_at: unacked[0]?.createdAt ?? null,
      flagged: unacked
        .filter((b) => b.createdAt <= cutoff)
        .map((b) => ({
          id: b.id,
          sequence: b.sequence,
          created_at: b.createdAt,
          resent: b.resentCount,
          age_seconds: Math.round((now.getTime() - Date.parse(b.createdAt)) / 1000),
        })),
      backlog_records: backlog + auditBacklog,
      oldest_pending_at: oldestPending?.at ?? null,
      /** Our batches the peer reported quarantining (supersede them: POST /v1/transfer/outbox/{sequence}/supersede). */
      quarantined_by_peer: refused,
      /** Records we left out of our batches (open), and records of ours the peer set aside (open). */
      dead_letters: dead("out"),
      peer_dead_letters: dead("peer"),
    },
    incoming: {
      last_imported: lastIn,
      last_import_at: lastImportAt,
      seconds_since_last_import: lastImportAt ? Math.round((now.getTime() - Date.parse(lastImportAt)) / 1000) : null,
      held: held.map((h) => ({ receipt_id: h.id, sequence: h.sequence, received_at: h.received_at })),
      gaps,
      quarantined,
      /** Records of the peer's batches set aside here (open): GET /v1/transfer/dead-letters?side=in. */
      dead_letters: dead("in"),
      /** Fields the peer sends that this release does not know: ignored, never a reason to refuse. */
      ignored_fields: JSON.parse(state[STATE.inIgnoredFields] ?? "{}") as Record<string, string[]>,
    },
    /** What the peer runs (from its last applied batch) and when it was last heard from. */
    peer: {
      release: state[STATE.inPeerRelease] ?? null,
      schema_version: state[STATE.inPeerSchema] || null,
      batch_format: state[STATE.inPeerFormat] ? num(state[STATE.inPeerFormat]) : null,
      last_heard_at: lastImportAt,
      ...heard(s, now, lastImportAt),
    },
    /** Alerts firing as of the alerts job's last run (docs/alerts.md). */
    alerts: await activeAlerts(s),
  };
}

/**
 * The peer sends at least a heartbeat every interval (the same setting on both sides is assumed);
 * late once twice that has passed without a batch, which leaves room for the courier's own cadence.
 * Null when heartbeats are off or nothing was ever heard (a new link is not yet a dead one).
 */
function heard(s: Services, now: Date, lastHeardAt: string | null) {
  const every = s.config.transfer.heartbeatMs;
  const since = lastHeardAt ? Math.round((now.getTime() - Date.parse(lastHeardAt)) / 1000) : null;
  return {
    seconds_since_heard: since,
    heartbeat_minutes: every / 60_000,
    late: every && since !== null ? since * 1000 > 2 * every : null,
  };
}
