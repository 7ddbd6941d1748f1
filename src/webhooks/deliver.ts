// The delivery job (both networks): hands alert events over as messages, then sends due messages, signed per Standard Webhooks, and
// records each outcome. At least once: a message is marked delivered only after a 2xx, so a crash
// between the two sends it again with the same `webhook-id`.
import { and, asc, eq, lte } from "drizzle-orm";
import { responses, users, webhookDeliveries, webhookEndpoints } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { bounded } from "../lib/text.ts";
import { postNoRedirect } from "../lib/http.ts";
import { sign } from "./signing.ts";
import { refusedTarget } from "./target-guard.ts";
import { disableStatements } from "./disable.ts";
import { retryDelayMs, MAX_ATTEMPTS, retryAfterMs } from "./schedule.ts";
import type { DeliveryRow } from "./deliveries.ts";
import { signingSecrets, type EndpointRow } from "./endpoints.ts";
import { queueAlertEvents } from "./alert-deliveries.ts";
import { processMetrics } from "../metrics/process.ts";

/** Messages sent per run, and at once. */
export const RUN_LIMIT = 100;
const PARALLEL = 10;

type Outcome = { kind: "delivered"; status: number } | { kind: "gone"; status: number } | { kind: "failed"; status: number | null; error: string; retryAfterMs?: number };

/** The body sent: the stored payload, plus the answer when the endpoint opted in. */
async function bodyOf(s: Services, d: DeliveryRow, e: EndpointRow): Promise<string> {
  if (!e.includeAnswer || d.event !== "request.answered" || !d.requestId) return d.payload;
  const r = await s.db.orm.select().from(responses).where(eq(responses.requestId, d.requestId)).get();
  if (r?.kind !== "answer") return d.payload;
  const payload = JSON.parse(d.payload) as { data: Record<string, unknown> };
  const json = /^application\/(.+\+)?json\b/i.test(r.contentType ?? "");
  payload.data.response = { content_type: r.contentType, body: r.body !== null && json ? JSON.parse(r.body) : r.body };
  return JSON.stringify(payload);
}

async function attempt(s: Services, d: DeliveryRow, e: EndpointRow): Promise<Outcome> {
  const url = new URL(e.url);
  const refused = await refusedTarget(s, url);
  if (refused) return { kind: "failed", status: null, error: refused };
  const body = await bodyOf(s, d, e);
  const timestamp = Math.floor(s.clock.now().getTime() / 1000);
  const sent = await postNoRedirect(url, {
    headers: {
      "content-type": "application/json",
      "user-agent": "Airlock-Webhooks",
      "webhook-id": d.id,
      "webhook-timestamp": String(timestamp),
      // Space-separated signatures: receivers accept any one (both secrets during a rotation).
      "webhook-signature": (await Promise.all(signingSecrets(e, s.clock.now()).map((k) => sign(k, d.id, timestamp, body)))).join(" "),
    },
    body,
    timeoutMs: s.config.webhooks.timeoutMs,
  });
  if (!sent.ok) return { kind: "failed", status: null, error: sent.error };
  const res = sent.res;
  await res.body?.cancel().catch(() => {});
  if (res.status >= 200 && res.status < 300) return { kind: "delivered", status: res.status };
  if (res.status === 410) return { kind: "gone", status: 410 };
  // Never followed: a redirect would send the signed body somewhere the user did not register.
  const status = res.type === "opaqueredirect" ? 0 : res.status;
  return {
    kind: "failed",
    status: status || null,
    error: sent.redirect ? `HTTP ${status || "3xx"}: redirects are not followed` : `HTTP ${status}`,
    retryAfterMs: retryAfterMs(res.headers.get("retry-after"), s.clock.now()),
  };
}

/** What to write for one outcome (and whether the endpoint is now disabled). */
function record(s: Services, d: DeliveryRow, e: EndpointRow, o: Outcome): { statements: [Statement, ...Statement[]]; disabled: boolean } {
  const now = s.clock.now();
  const at = now.toISOString();
  const attempts = d.attempts + 1;
  const where = eq(webhookDeliveries.id, d.id);
  if (o.kind === "delivered") {
    return {
      statements: [
        s.db.orm
          .update(webhookDeliveries)
          .set({ status: "delivered", attempts, lastStatus: o.status, lastError: null, deliveredAt: at, updatedAt: at, nextAttemptAt: null })
          .where(where),
      ],
      disabled: false,
    };
  }
  if (o.kind === "gone") {
    const failed = s.db.orm
      .update(webhookDeliveries)
      .set({ status: "failed", attempts, lastStatus: 410, lastError: "HTTP 410: the receiver asked to stop", updatedAt: at, nextAttemptAt: null })
      .where(where);
    return { statements: [failed, ...disableStatements(s, e, "the receiver answered 410 Gone")], disabled: true };
  }
  const error = bounded(o.error, 500);
  if (attempts >= MAX_ATTEMPTS) {
    const failed = s.db.orm.update(webhookDeliveries).set({ status: "failed", attempts, lastStatus: o.status, lastError: error, updatedAt: at, nextAttemptAt: null }).where(where);
    return { statements: [failed, ...disableStatements(s, e, `a message failed ${attempts} times over about three days (last: ${error})`)], disabled: true };
  }
  const next = new Date(now.getTime() + Math.max(retryDelayMs(attempts), o.retryAfterMs ?? 0)).toISOString();
  return {
    statements: [s.db.orm.update(webhookDeliveries).set({ attempts, lastStatus: o.status, lastError: error, updatedAt: at, nextAttemptAt: next }).where(where)],
    disabled: false,
  };
}

/** The job: every due message of an active endpoint of an active account, oldest first. */
export async function runWebhookDeliveries(s: Services): Promise<Record<string, number>> {
  // Right before sending, so an alert evaluated a moment ago leaves in this run.
  const alertEventsQueued = await queueAlertEvents(s);
  const now = s.clock.now().toISOString();
  const due = await s.db.orm
    .select({ d: webhookDeliveries, e: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    // A disabled account's endpoints receive nothing (their messages wait, in case it comes back).
    .innerJoin(users, eq(users.id, webhookEndpoints.userId))
    .where(and(eq(webhookDeliveries.status, "pending"), lte(webhookDeliveries.nextAttemptAt, now), eq(webhookEndpoints.status, "active"), eq(users.status, "active")))
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(RUN_LIMIT)
    .all();
  const counts = { delivered: 0, retrying: 0, failed: 0, disabled: 0 };
  const metric = processMetrics(s).webhookDeliveries;
  const disabled = new Set<string>();
  for (let i = 0; i < due.length; i += PARALLEL) {
    await Promise.all(
      due.slice(i, i + PARALLEL).map(async ({ d, e }) => {
        if (disabled.has(e.id)) return; // disabled earlier in this run
        const o = await attempt(s, d, e);
        if (disabled.has(e.id)) return;
        const r = record(s, d, e, o);
        if (r.disabled) disabled.add(e.id);
        await s.db.batch(r.statements);
        const outcome = o.kind === "delivered" ? "delivered" : r.disabled ? "failed" : "retry";
        metric.inc({ outcome });
        if (outcome === "delivered") counts.delivered++;
        else if (outcome === "failed") counts.failed++;
        else counts.retrying++;
      }),
    );
  }
  counts.disabled = disabled.size;
  if (disabled.size) metric.inc({ outcome: "disabled" }, disabled.size);
  if (disabled.size) s.logger.log("warn", "webhook endpoints disabled", { endpoints: [...disabled] });
  if (alertEventsQueued) return { ...counts, alert_events: alertEventsQueued };
  return due.length ? counts : {};
}
