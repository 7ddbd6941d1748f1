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
 * - the first request with a key records it "in flight" BEFORE doing anything;
 *   its outcome is stored in the SAME atomic batch as the change itself, so a
 *   key is never "done" without its request, nor a request without its key;
 * - same key + same payload (fingerprint) → the stored response, marked with
 *   `Idempotency-Replayed: true`; same key + different payload → 422; the
 *   first request still running → 409 (retry later);
 * - an "in flight" record older than IN_FLIGHT_STALE_MS belongs to a request
 *   that died half-way (its batch never ran): the next request takes it over.
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

export type IdempotencyOutcome = { kind: "new" } | { kind: "replay"; status: number; body: unknown };

/** Records the key as in flight, or answers what the first request with it decided. */
export async function beginIdempotent(s: Services, userId: string, key: string, fingerprint: string): Promise<IdempotencyOutcome> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = s.clock.now();
    const nowIso = now.toISOString();
    const fresh = {
      fingerprint,
      state: "in_flight" as const,
      statusCode: null,
      responseBody: null,
      createdAt: nowIso,
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
    };
    const inserted = await s.db.orm
      .insert(idempotencyKeys)
      .values({ userId, key, ...fresh })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length) return { kind: "new" };

    const row = await s.db.orm
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)))
      .get();
    if (!row) continue; // purged in between: try again
    const stale = new Date(now.getTime() - IN_FLIGHT_STALE_MS).toISOString();
    if (row.expiresAt <= nowIso || (row.state === "in_flight" && row.createdAt <= stale)) {
      // Expired, or abandoned half-way: take it over (compare-and-set on the row we saw).
      const taken = await s.db.orm
        .update(idempotencyKeys)
        .set(fresh)
        .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key), eq(idempotencyKeys.createdAt, row.createdAt), eq(idempotencyKeys.state, row.state)))
        .returning({ key: idempotencyKeys.key });
      if (taken.length) return { kind: "new" };
      continue;
    }
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
    return { kind: "replay", status: row.statusCode ?? 200, body: JSON.parse(row.responseBody ?? "null") };
  }
  throw new ApiError("idempotency_in_flight", { detail: "the Idempotency-Key is contended; retry shortly", headers: { "Retry-After": "1" } });
}

/** Marks the key done with the response to replay; put it in the same batch as the change. */
export function completeIdempotentStatement(s: Services, userId: string, key: string, status: number, body: unknown): Statement {
  return s.db.orm
    .update(idempotencyKeys)
    .set({ state: "done", statusCode: status, responseBody: JSON.stringify(body) })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

/** The change failed: forget the in-flight record so the client can retry with the same key. */
export async function abandonIdempotent(s: Services, userId: string, key: string): Promise<void> {
  await s.db.orm.delete(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, "in_flight")));
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
