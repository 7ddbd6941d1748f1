import { and, asc, desc, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { requests } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Config } from "../config.ts";
import { answerRequest, rejectRequest, startProcessing, type Actor } from "./answers.ts";
import { isJsonType, parseMediaType } from "./responses.ts";
import { postNoRedirect, readBodyCapped } from "../lib/http.ts";
import type { RequestRow } from "./records.ts";

/**
 * The processor (AIRLOCK_PROCESSOR_URL): an internal HTTP service that answers
 * requests on the response network.
 *
 * Each run takes up to BATCH due requests (received or processing, not under
 * a live claim, attempts left, next attempt due), highest priority and oldest
 * first, and POSTs each as JSON to the URL:
 *   { id, user_id, topic, body, priority, created_at, attempt }
 * with `Idempotency-Key: <request id>` (a retry of the same request carries
 * the same key) and `Authorization: Bearer <AIRLOCK_PROCESSOR_TOKEN>` if set.
 *
 * - 2xx: the body is the answer, with the response's Content-Type (JSON types
 *   must be valid JSON; no Content-Type means application/octet-stream; one
 *   that is not a media type of at most 200 characters is a failure, never
 *   stored);
 * - the answer is read as a stream and given up as soon as it passes
 *   AIRLOCK_MAX_BODY_BYTES (a failure): it is never buffered whole;
 * - redirects are never followed (a 307/308 would re-send the request body
 *   wherever it points): a 3xx is a failure;
 * - 422 with `{ "reason": "..." }`: the processor rejects the request;
 * - anything else, a timeout (AIRLOCK_PROCESSOR_TIMEOUT_MS) or a network
 *   error: a failure, recorded on the request (processor_error,
 *   processor_attempts, processor_next_at) and shown in the queue; the next
 *   attempt waits AIRLOCK_PROCESSOR_BACKOFF_SECONDS × 2^(attempts-1), capped
 *   at one hour; after AIRLOCK_PROCESSOR_MAX_ATTEMPTS it stops and leaves the
 *   request to operators.
 */
export const BATCH = 10;
export const MAX_BACKOFF_SECONDS = 3_600;
export const PROCESSOR_ACTOR_ID = "processor";

const actor: Actor = { id: PROCESSOR_ACTOR_ID, role: "system", audit: { actorType: "system", actorId: PROCESSOR_ACTOR_ID } };

export function backoffSeconds(p: NonNullable<Config["processor"]>, attempts: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, p.backoffSeconds * 2 ** Math.max(0, attempts - 1));
}

type Outcome = { kind: "answer"; body: unknown; contentType: string } | { kind: "reject"; reason: string } | { kind: "failure"; error: string };

async function callProcessor(s: Services, p: NonNullable<Config["processor"]>, r: RequestRow, attempt: number): Promise<Outcome> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/plain;q=0.9, */*;q=0.1",
    "idempotency-key": r.id,
  };
  if (p.token) headers.authorization = `Bearer ${p.token}`;
  const sent = await postNoRedirect(p.url, {
    headers,
    body: JSON.stringify({ id: r.id, user_id: r.userId, topic: r.topic, body: JSON.parse(r.body), priority: r.priority, created_at: r.createdAt, attempt }),
    timeoutMs: p.timeoutMs,
  });
  if (!sent.ok) return { kind: "failure", error: sent.error };
  const res = sent.res;
  if (sent.redirect) {
    const to = (res.headers.get("location") ?? "").slice(0, 200);
    return { kind: "failure", error: `HTTP ${res.status}: the processor answered with a redirect${to ? ` to ${JSON.stringify(to)}` : ""}; redirects are not followed` };
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await readBodyCapped(res, s.config.maxBodyBytes);
  } catch (e) {
    const name = (e as Error)?.name;
    return {
      kind: "failure",
      error: name === "TimeoutError" || name === "AbortError" ? `timed out after ${p.timeoutMs} ms reading the answer` : `reading the answer failed: ${(e as Error)?.message ?? e}`,
    };
  }
  if (bytes === null) return { kind: "failure", error: `the answer exceeds ${s.config.maxBodyBytes} bytes` };
  const text = new TextDecoder().decode(bytes);
  const header = res.headers.get("content-type");
  const contentType = header === null ? "application/octet-stream" : parseMediaType(header);
  if (res.status === 422) {
    try {
      const reason = (JSON.parse(text) as { reason?: unknown }).reason;
      if (typeof reason === "string" && reason.trim()) return { kind: "reject", reason: reason.trim().slice(0, 2000) };
    } catch {
      // not a rejection body: a failure like any other 4xx
    }
  }
  if (res.status < 200 || res.status > 299) return { kind: "failure", error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  if (contentType === null) return { kind: "failure", error: `the answer's Content-Type is not a media type of at most 200 characters: ${JSON.stringify(header!.slice(0, 80))}` };
  if (isJsonType(contentType)) {
    try {
      return { kind: "answer", body: JSON.parse(text), contentType: contentType.split(";")[0] };
    } catch {
      return { kind: "failure", error: `the answer is not valid JSON (Content-Type: ${contentType})` };
    }
  }
  return { kind: "answer", body: text, contentType };
}

/** One run of the processor job. */
export async function runProcessor(s: Services) {
  const p = s.config.processor;
  if (s.config.role !== "response" || !p) return { skipped: "no processor configured" };
  const now = s.clock.now().toISOString();
  const due = await s.db.orm
    .select()
    .from(requests)
    .where(
      and(
        inArray(requests.status, ["received", "processing"]),
        or(isNull(requests.claimedBy), lte(requests.claimExpiresAt, now)),
        lt(requests.processorAttempts, p.maxAttempts),
        or(isNull(requests.processorNextAt), lte(requests.processorNextAt, now)),
      ),
    )
    .orderBy(desc(requests.priority), asc(requests.createdAt), asc(requests.id))
    .limit(BATCH)
    .all();
  const summary = { due: due.length, answered: 0, rejected: 0, failed: 0, gave_up: 0, skipped: 0 };
  for (const r of due) {
    // A short claim while we work: operators see the processor has it; it lapses if we die.
    const mine = await startProcessing(s, r, p.timeoutMs + 60_000);
    if (!mine) {
      summary.skipped++;
      continue;
    }
    const attempt = r.processorAttempts + 1;
    const outcome = await callProcessor(s, p, mine, attempt);
    try {
      if (outcome.kind === "answer") {
        await answerRequest(s, mine, actor, { body: outcome.body, content_type: outcome.contentType });
        summary.answered++;
        await s.db.orm.update(requests).set({ processorAttempts: attempt, processorError: null, processorNextAt: null }).where(eq(requests.id, r.id));
        continue;
      }
      if (outcome.kind === "reject") {
        await rejectRequest(s, mine, actor, outcome.reason);
        summary.rejected++;
        await s.db.orm.update(requests).set({ processorAttempts: attempt, processorError: null, processorNextAt: null }).where(eq(requests.id, r.id));
        continue;
      }
    } catch (e) {
      // E.g. cancelled meanwhile (the request is no longer open): nothing to record.
      s.logger.log("warn", "processor answer not recorded", { request_id: r.id, error: (e as Error)?.message ?? String(e) });
      summary.skipped++;
      continue;
    }
    const gaveUp = attempt >= p.maxAttempts;
    const next = gaveUp ? null : new Date(s.clock.now().getTime() + backoffSeconds(p, attempt) * 1000).toISOString();
    const error = gaveUp ? `${outcome.error} (gave up after ${attempt} attempts)` : outcome.error;
    await s.db.orm
      .update(requests)
      .set({ processorAttempts: attempt, processorError: error.slice(0, 1000), processorNextAt: next, claimedBy: null, claimExpiresAt: null })
      .where(and(eq(requests.id, r.id), eq(requests.claimedBy, PROCESSOR_ACTOR_ID)));
    s.logger.log("warn", "processor attempt failed", { request_id: r.id, attempt, error: outcome.error, next_attempt_at: next });
    summary.failed++;
    if (gaveUp) summary.gave_up++;
  }
  return summary;
}

/** Retention: claims past their expiry are dropped (local to the response network; never synced). */
export async function clearExpiredClaims(s: Services): Promise<number> {
  const rows = await s.db.orm
    .update(requests)
    .set({ claimedBy: null, claimExpiresAt: null })
    .where(sql`${requests.claimExpiresAt} IS NOT NULL AND ${requests.claimExpiresAt} <= ${s.clock.now().toISOString()}`)
    .returning({ id: requests.id });
  return rows.length;
}
