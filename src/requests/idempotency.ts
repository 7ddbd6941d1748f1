import { and, eq, lte, or, sql } from "drizzle-orm";
import { idempotencyKeys } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { ApiError } from "../errors.ts";
import { canonicalJson, sha256Hex } from "../lib/crypto.ts";

/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header):
 *
 * - keys are per user (two users may use the same key) and live 24 h;
 * - the key's record (its outcome, "done") is written in the SAME atomic batch
 *   as the change itself: one commit, and a key is never done without its
 *   change, nor a change without its key;
 * - the unique index on (user, key) settles concurrent first uses: the losers'
 *   batches fail whole, and they answer what the winner stored;
 * - same key + same payload (fingerprint) → the stored response, marked with
 *   `Idempotency-Replayed: true`; same key + different payload → 422;
 * - a record "in flight" (written by the former two-step scheme, e.g. by an older
 *   version still serving during a deployment) → 409 (retry later); one older than
 *   IN_FLIGHT_STALE_MS belongs to a request that died half-way, and an expired
 *   record is taken over by the next request.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
export const IN_FLIGHT_STALE_MS = 60_000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** The header's key: an sf-string (`"abc"`, as the draft specifies) or, leniently, the bare token. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  let v = header.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(["\\])/g, "$1");
  if (!KEY_RE.test(v)) {
    throw new ApiError("validation_failed", {
      detail: "Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID",
      errors: [{ parameter: "Idempotency-Key", detail: "1 to 255 visible ASCII characters" }],
    });
  }
  return v;
}

/** Fingerprint of the payload: key order in the JSON does not matter. */
export const fingerprintOf = (payload: unknown) => sha256Hex(canonicalJson(payload));

interface StoredKey {
  fingerprint: string;
  state: "in_flight" | "done";
  statusCode: number | null;
  responseBody: string | null;
  createdAt: string;
  expiresAt: string;
}

const KEY_SQL =
  "select fingerprint, state, status_code as statusCode, response_body as responseBody, created_at as createdAt, expires_at as expiresAt from idempotency_keys where user_id = ? and key = ?";

const readKey = (s: Services, userId: string, key: string) => s.db.prepareRead<StoredKey>(KEY_SQL).get([userId, key]);

/** Whether a record still decides: not expired, and not in flight for so long that its request died. */
function decides(row: StoredKey, now: Date): boolean {
  if (row.expiresAt <= now.toISOString()) return false;
  return row.state === "done" || row.createdAt > new Date(now.getTime() - IN_FLIGHT_STALE_MS).toISOString();
}

/** What a deciding record answers a request with `fingerprint`: its stored response, or a problem. */
function answerOf(row: StoredKey, fingerprint: string): IdempotentReplay {
  if (row.fingerprint !== fingerprint) {
    throw new ApiError("idempotency_key_reused", {
      detail: "this Idempotency-Key was already used with a different request body; use a new key for a new request",
    });
  }
  if (row.state === "in_flight") {
    throw new ApiError("idempotency_in_flight", {
      detail: "the first request with this Idempotency-Key is still being processed; retry shortly",
      headers: { "Retry-After": "1" },
    });
  }
  return { status: row.statusCode ?? 200, body: JSON.parse(row.responseBody ?? "null") };
}

const sameRecord = (a: StoredKey | undefined, b: StoredKey | undefined) => a?.createdAt === b?.createdAt && a?.state === b?.state;

export interface IdempotentReplay {
  status: number;
  body: unknown;
}

/** The statements that record the key as done with `status` and `body`: put them in the change's batch. */
export type RecordKey = (status: number, body: unknown) => Statement[];

/**
 * Runs `write` once per (user, key): when a record decides, answers it (the stored response, or
 * 422/409) without calling `write`; otherwise `write` puts `record(...)` in its one atomic batch.
 * If that batch fails and another request's record now decides (it won the unique index), answers
 * that record; otherwise rethrows, and nothing was written.
 */
export async function once<R>(
  s: Services,
  userId: string,
  key: string,
  fingerprint: string,
  write: (record: RecordKey) => Promise<R>,
): Promise<{ replay: IdempotentReplay } | { result: R }> {
  let seen = await readKey(s, userId, key);
  for (let attempt = 0; ; attempt++) {
    if (seen && decides(seen, s.clock.now())) return { replay: answerOf(seen, fingerprint) };
    const prior = seen;
    const record: RecordKey = (status, body) => {
      const now = s.clock.now();
      const statements: Statement[] = [];
      // Take over an expired or abandoned record, only if it is still the one we saw.
      if (prior) {
        const same = and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key), eq(idempotencyKeys.createdAt, prior.createdAt), eq(idempotencyKeys.state, prior.state));
        statements.push(s.db.orm.delete(idempotencyKeys).where(same));
      }
      statements.push(
        s.db.orm.insert(idempotencyKeys).values({
          userId,
          key,
          fingerprint,
          state: "done",
          statusCode: status,
          responseBody: JSON.stringify(body),
          createdAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
        }),
      );
      return statements;
    };
    try {
      return { result: await write(record) };
    } catch (e) {
      const after = await readKey(s, userId, key);
      if (after && decides(after, s.clock.now())) return { replay: answerOf(after, fingerprint) };
      // The record is as we saw it: the batch failed on its own account. Otherwise, look again.
      if (sameRecord(after, prior) || attempt >= 2) throw e;
      seen = after;
    }
  }
}

/** Retention: expired records, and in-flight ones abandoned long ago. */
export async function purgeIdempotencyKeys(s: Services): Promise<number> {
  const now = s.clock.now();
  const rows = await s.db.orm
    .delete(idempotencyKeys)
    .where(
      or(
        lte(idempotencyKeys.expiresAt, now.toISOString()),
        and(eq(idempotencyKeys.state, "in_flight"), sql`${idempotencyKeys.createdAt} <= ${new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()}`),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
