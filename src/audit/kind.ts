// The replica's audit entries travel to the master, which keeps them as written after checking
// that they extend the chain received so far, link by link.
import { desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { peerAuditLog } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { jsonChunks } from "../lib/chunks.ts";
import type { RecordKind } from "../transfer/contract.ts";
import { AUDIT_DETAILS_MAX, entryHash, GENESIS_HASH } from "./audit.ts";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** What the chain check needs; an entry whose links do not parse breaks the chain. */
export const AuditLinkSchema = z.object({ seq: z.number().int().positive(), network: z.string().max(64), prevHash: hex64, hash: hex64 });

export const AuditRecordSchema = AuditLinkSchema.extend({
  id: z.string().min(1).max(64),
  at: z.string().max(40),
  actorType: z.string().max(32),
  actorId: z.string().max(200).nullable(),
  action: z.string().max(64),
  targetType: z.string().max(64).nullable(),
  targetId: z.string().max(200).nullable(),
  outcome: z.string().max(16),
  requestId: z.string().max(200).nullable(),
  ip: z.string().max(64).nullable(),
  details: z.string().max(AUDIT_DETAILS_MAX).nullable(),
});

const j = (path: string) => sql.raw(`json_extract(value, '$.${path}')`);

export const auditKind: RecordKind<z.infer<typeof AuditRecordSchema>> = {
  kind: "audit",
  owner: "request",
  schemaVersion: 1,
  schema: AuditRecordSchema,
  idOf: (d) => d.id,
  apply: (s, rows) =>
    jsonChunks(rows).map((chunk) =>
      s.db.orm.run(sql`
        INSERT INTO peer_audit_log (network, seq, entry, hash, prev_hash)
        SELECT ${s.config.peerNetworkId}, ${j("seq")}, value, ${j("hash")}, ${j("prevHash")} FROM json_each(${chunk}) WHERE true
        ON CONFLICT(network, seq) DO NOTHING`),
    ),
};

export interface ChainHead {
  seq: number;
  hash: string;
}

/** The last link received from the peer. */
export async function peerChainHead(s: Services): Promise<ChainHead> {
  const last = await s.db.orm
    .select({ seq: peerAuditLog.seq, hash: peerAuditLog.hash })
    .from(peerAuditLog)
    .where(eq(peerAuditLog.network, s.config.peerNetworkId))
    .orderBy(desc(peerAuditLog.seq))
    .limit(1)
    .get();
  return { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH };
}

/**
 * The peer's entries must extend its chain from `head`, link by link, each hash covering its
 * content. Entries set aside for their content (a dead letter) still count as links, so one bad
 * entry never breaks the chain of those after it. Returns the new head, or why the chain breaks.
 */
export async function checkPeerChain(
  s: Services,
  head: ChainHead,
  entries: Array<Record<string, unknown>>,
): Promise<{ ok: true; head: ChainHead } | { ok: false; reason: string }> {
  let expected = head.seq + 1;
  let prev = head.hash;
  const links = entries.map((e) => ({ e, link: AuditLinkSchema.safeParse(e) }));
  for (const { e, link } of links.sort((a, b) => (a.link.data?.seq ?? 0) - (b.link.data?.seq ?? 0))) {
    if (!link.success) return { ok: false, reason: "an audit entry has no valid seq, network, prevHash and hash" };
    const { hash, ...rest } = e as Record<string, unknown> & { hash: string };
    const l = link.data;
    if (l.network !== s.config.peerNetworkId) return { ok: false, reason: `audit entry ${l.seq}: written by ${l.network}, not the peer` };
    if (l.seq !== expected) return { ok: false, reason: `audit entry ${l.seq}: expected entry ${expected} of the peer's chain` };
    if (l.prevHash !== prev) return { ok: false, reason: `audit entry ${l.seq}: does not link to the previous entry` };
    if ((await entryHash(rest as never)) !== hash) return { ok: false, reason: `audit entry ${l.seq}: content does not match its hash` };
    prev = hash;
    expected++;
  }
  return { ok: true, head: { seq: expected - 1, hash: prev } };
}
