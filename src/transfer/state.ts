import { inArray, sql } from "drizzle-orm";
import { transferState } from "../../schema/index.ts";
import type { Services } from "../services.ts";

/** Named markers of the transfer, each written in the same atomic batch as what it describes. */
export const STATE = {
  /** Last sequence applied from the peer. */
  inLastSequence: "in.last_sequence",
  /** body_sha256 of that batch: the next one's prev_hash must equal it. */
  inLastBodySha: "in.last_body_sha256",
  inLastImportAt: "in.last_import_at",
  /** Last applied peer batch that carried records: it needs acknowledging. */
  inLastWithRecords: "in.last_with_records",
  /** The ack value of our latest exported batch. */
  outLastAckSent: "out.last_ack_sent",
  /** Before the first batch: when export first found nothing to send (the heartbeat counts from it). */
  outIdleSince: "out.idle_since",
  /** Request network: audit entries up to this seq have been exported. */
  outAuditSeq: "out.audit_seq",
  /** JSON array: body hashes the last applied batch superseded (the next prev_hash may name one). */
  inLastSuperseded: "in.last_superseded",
  /** Master: the head of the replica's audit chain received so far (seq, hash). */
  inPeerAuditSeq: "in.peer_audit_seq",
  inPeerAuditHash: "in.peer_audit_hash",
  /** JSON {kind: [field…]}: fields the peer sends that this release does not know (ignored). */
  inIgnoredFields: "in.ignored_fields",
  /** What the peer runs, from its last applied manifest. */
  inPeerRelease: "in.peer_release",
  inPeerSchema: "in.peer_schema_version",
  inPeerFormat: "in.peer_format",
} as const;
type Key = (typeof STATE)[keyof typeof STATE];

export async function readState(s: Services): Promise<Record<Key, string | undefined>> {
  const rows = await s.db.orm
    .select()
    .from(transferState)
    .where(inArray(transferState.key, Object.values(STATE)))
    .all();
  return Object.fromEntries(rows.map((r) => [r.key, r.value])) as Record<Key, string | undefined>;
}

export const num = (v: string | undefined) => (v === undefined ? 0 : Number(v));

export function setState(s: Services, key: Key, value: string | number) {
  const now = s.clock.now().toISOString();
  return s.db.orm
    .insert(transferState)
    .values({ key, value: String(value), updatedAt: now })
    .onConflictDoUpdate({ target: transferState.key, set: { value: String(value), updatedAt: now } });
}

/** SQL for "the stored marker equals v" (0 / absent counts as equal to "0"), for batch guards. */
export const stateIs = (key: Key, v: number) => sql`coalesce((select value from transfer_state where key = ${key}), '0') = ${String(v)}`;
