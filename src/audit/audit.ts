import { asc, desc, gt } from "drizzle-orm";
import type { Context } from "hono";
import { auditLog } from "../../schema/index.ts";
import type { Statement } from "../deps/db/database.ts";
import type { HonoEnv } from "../env.ts";
import type { Services } from "../services.ts";
import { canonicalJson, sha256Hex } from "../lib/crypto.ts";
import { newId } from "../lib/ids.ts";
import { redact } from "../lib/redact.ts";
import { bounded } from "../lib/text.ts";
import { oneAtATime } from "../lib/serial.ts";

export const GENESIS_HASH = "0".repeat(64);

/** An entry's details as JSON text, at most this long: the peer's schema refuses longer ones. */
export const AUDIT_DETAILS_MAX = 16_384;
/** Each string inside the details (reasons, names an outsider chose) is cut to this first. */
const DETAIL_STRING_MAX = 1000;

function boundStrings(v: unknown): unknown {
  if (typeof v === "string") return bounded(v, DETAIL_STRING_MAX);
  if (Array.isArray(v)) return v.slice(0, 50).map(boundStrings);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v)
        .slice(0, 50)
        .map(([k, x]) => [bounded(k, 64), boundStrings(x)]),
    );
  return v;
}

/** Details as stored: redacted, every string bounded, and the whole within `max` (≤ AUDIT_DETAILS_MAX). */
export function auditDetails(details: Record<string, unknown>, max = AUDIT_DETAILS_MAX): string {
  const json = JSON.stringify(boundStrings(redact(details)));
  return json.length <= max ? json : JSON.stringify({ truncated: bounded(json, max - 100) });
}

/** An entry must fit one batch of this network (it travels to the peer): room for the other fields, 3 bytes a char at worst. */
const detailsBudget = (s: Services) => Math.max(200, Math.min(AUDIT_DETAILS_MAX, Math.floor((s.config.transfer.maxRawBytes - 2048) / 3)));

export interface AuditInput {
  action: string;
  actorType: "user" | "api_key" | "courier" | "system" | "anonymous";
  actorId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  outcome?: "success" | "failure";
  requestId?: string | null;
  ip?: string | null;
  /** Never secrets: passwords, tokens and keys are redacted again here as a backstop. */
  details?: Record<string, unknown>;
}

type AuditRow = typeof auditLog.$inferSelect;

/** The fields the hash covers, in a canonical form. */
export function entryHash(row: Omit<AuditRow, "hash">): Promise<string> {
  return sha256Hex(canonicalJson(row));
}

/** Audit fields of the caller of an HTTP request. */
export function actorOf(c: Context<HonoEnv>): Pick<AuditInput, "actorType" | "actorId" | "requestId" | "ip"> {
  const p = c.get("principal");
  const base = { requestId: c.get("requestId"), ip: c.get("services").runtime.clientIp(c) ?? null };
  if (!p) return { ...base, actorType: "anonymous", actorId: null };
  if (p.type === "courier") return { ...base, actorType: "courier", actorId: null };
  // The metrics token only reads; should it ever be audited, it is no person.
  if (p.type === "metrics") return { ...base, actorType: "system", actorId: "metrics-token" };
  return { ...base, actorType: p.type, actorId: p.type === "api_key" ? `${p.userId}/${p.apiKeyId}` : p.userId };
}

const MAX_ATTEMPTS = 8;

/**
 * Appends audit entries and runs `statements` in ONE atomic batch, so a change
 * and its audit record exist together or not at all. Each entry's seq is the
 * next number and its hash covers the previous entry's hash; a concurrent writer
 * that took the same seq makes this batch fail (primary key), and we retry.
 * Writers in one process take turns (they would only collide on the seq), so
 * retries are left to writers in other processes or isolates.
 */
export function writeWithAudit(s: Services, entries: AuditInput[], statements: Statement[] = []): Promise<void> {
  return oneAtATime(s.db, () => appendWithRetry(s, entries, statements));
}

async function appendWithRetry(s: Services, entries: AuditInput[], statements: Statement[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const last = await s.db.orm.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1).get();
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    const rows: AuditRow[] = [];
    for (const e of entries) {
      seq++;
      const row: Omit<AuditRow, "hash"> = {
        seq,
        id: newId("aud"),
        at: s.clock.now().toISOString(),
        network: s.config.networkId,
        actorType: e.actorType,
        actorId: e.actorId == null ? null : bounded(e.actorId, 200),
        action: e.action,
        targetType: e.targetType == null ? null : bounded(e.targetType, 64),
        targetId: e.targetId == null ? null : bounded(e.targetId, 200),
        outcome: e.outcome ?? "success",
        requestId: e.requestId == null ? null : bounded(e.requestId, 200),
        ip: e.ip == null ? null : bounded(e.ip, 64),
        details: e.details ? auditDetails(e.details, detailsBudget(s)) : null,
        prevHash,
      };
      const hash = await entryHash(row);
      rows.push({ ...row, hash });
      prevHash = hash;
    }
    const all = [...statements, ...(rows.length ? [s.db.orm.insert(auditLog).values(rows)] : [])];
    if (!all.length) return;
    try {
      await s.db.batch(all as [Statement, ...Statement[]]);
      return;
    } catch (e) {
      const conflict = /UNIQUE constraint failed: audit_log\.seq|PRIMARY KEY/i.test(String((e as Error)?.message) + String((e as { cause?: Error })?.cause?.message));
      if (!conflict || attempt >= MAX_ATTEMPTS) throw e;
      // Another process took the seq: wait a little, more each time, so the writers spread out.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}

/** Audit entries alone (no other change). */
export const audit = (s: Services, ...entries: AuditInput[]) => writeWithAudit(s, entries);

export interface ChainCheck {
  ok: boolean;
  checked: number;
  first_broken_seq: number | null;
  reason: string | null;
}

/** Walks the chain from the start; reports the first entry whose hash or link does not hold. */
export async function verifyAuditChain(s: Services, pageSize = 500): Promise<ChainCheck> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const page = await s.db.orm
      .select()
      .from(auditLog)
      .where(gt(auditLog.seq, expectedSeq - 1))
      .orderBy(asc(auditLog.seq))
      .limit(pageSize)
      .all();
    if (!page.length) return { ok: true, checked, first_broken_seq: null, reason: null };
    for (const row of page) {
      const { hash, ...rest } = row;
      const broken = (reason: string): ChainCheck => ({ ok: false, checked, first_broken_seq: row.seq, reason });
      if (row.seq !== expectedSeq) return { ok: false, checked, first_broken_seq: expectedSeq, reason: `entry ${expectedSeq} is missing` };
      if (row.prevHash !== prevHash) return broken("prev_hash does not match the previous entry's hash");
      if ((await entryHash(rest)) !== hash) return broken("entry content does not match its hash");
      prevHash = hash;
      expectedSeq++;
      checked++;
    }
  }
}
