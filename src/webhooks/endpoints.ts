// Webhook endpoints: registered, read and removed by their owner (admins: anyone's). Users have them
// on the request network for their requests' events; operators and admins on both networks, for
// alert events too. The secret is returned once, when the endpoint is created.
import { and, desc, eq, sql } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Principal } from "../identity/roles.ts";
import { ApiError } from "../errors.ts";
import { newId } from "../lib/ids.ts";
import { newSecret } from "./signing.ts";
import { ALERT_EVENTS, REQUEST_EVENTS, type WebhookEvent } from "./events.ts";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** Most endpoints one user may have. */
export const MAX_ENDPOINTS_PER_USER = 10;

const OPERATORS: ReadonlySet<string> = new Set(["admin", "operator"]);

/** Users' endpoints live on the request network; the isolated master has operators' and admins' only. */
export function assertWebhookAccess(s: Services, p: Pick<Principal, "role">) {
  if (s.config.role !== "request" && !OPERATORS.has(p.role ?? "")) {
    throw new ApiError("forbidden", { detail: "on the response network only operators and admins have webhook endpoints" });
  }
}

/** Alert events are for operators and admins; the response network has no request events to send. */
export function assertEventsAllowed(s: Services, p: Pick<Principal, "role">, events: readonly WebhookEvent[]) {
  const alert = events.find((e) => (ALERT_EVENTS as readonly string[]).includes(e));
  if (alert && !OPERATORS.has(p.role ?? "")) throw new ApiError("forbidden", { detail: `only operators and admins may subscribe to ${alert}` });
  const request = events.find((e) => (REQUEST_EVENTS as readonly string[]).includes(e));
  if (request && s.config.role !== "request") {
    throw new ApiError("validation_failed", { detail: `${request} happens on the request network; here only alert events and endpoint.disabled are sent` });
  }
}

export interface EndpointInput {
  url: string;
  events: WebhookEvent[];
  include_answer?: boolean;
}

export async function createEndpoint(s: Services, p: Principal, input: EndpointInput): Promise<{ row: EndpointRow; secret: string }> {
  assertWebhookAccess(s, p);
  assertEventsAllowed(s, p, input.events);
  const userId = p.userId as string;
  const count = await s.db.orm.select({ n: sql<number>`count(*)` }).from(webhookEndpoints).where(eq(webhookEndpoints.userId, userId)).get();
  if ((count?.n ?? 0) >= MAX_ENDPOINTS_PER_USER) throw new ApiError("conflict", { detail: `at most ${MAX_ENDPOINTS_PER_USER} webhook endpoints per user` });
  const now = s.clock.now().toISOString();
  const secret = newSecret();
  const row: EndpointRow = {
    id: newId("whk"),
    userId,
    url: input.url,
    events: JSON.stringify([...new Set(input.events)]),
    includeAnswer: input.include_answer ? 1 : 0,
    secret,
    previousSecret: null,
    previousSecretExpiresAt: null,
    status: "active",
    disabledReason: null,
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await s.db.orm.insert(webhookEndpoints).values(row);
  return { row, secret };
}

export async function listEndpoints(s: Services, p: Principal): Promise<EndpointRow[]> {
  assertWebhookAccess(s, p);
  const userId = p.userId as string;
  return s.db.orm.select().from(webhookEndpoints).where(eq(webhookEndpoints.userId, userId)).orderBy(desc(webhookEndpoints.createdAt)).all();
}

/** The endpoint if `p` may see it; anyone else's is "not found", so ids cannot be probed. */
export async function visibleEndpoint(s: Services, p: Principal, id: string): Promise<EndpointRow> {
  assertWebhookAccess(s, p);
  const row = await s.db.orm.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
  if (!row || (row.userId !== p.userId && p.role !== "admin")) throw new ApiError("not_found", { detail: "no such webhook endpoint" });
  return row;
}

/** Removes the endpoint and its delivery log (nothing more is sent to it). */
export async function deleteEndpoint(s: Services, row: EndpointRow): Promise<void> {
  await s.db.batch([
    s.db.orm.delete(webhookDeliveries).where(eq(webhookDeliveries.endpointId, row.id)),
    s.db.orm.delete(webhookEndpoints).where(and(eq(webhookEndpoints.id, row.id))),
  ]);
}

export interface EndpointChange {
  url?: string;
  events?: WebhookEvent[];
  include_answer?: boolean;
  /** true: a disabled endpoint receives again (messages still pending resume at the next run). */
  enabled?: true;
}

export async function updateEndpoint(s: Services, p: Principal, row: EndpointRow, change: EndpointChange): Promise<EndpointRow> {
  if (change.events !== undefined) assertEventsAllowed(s, p, change.events);
  const now = s.clock.now().toISOString();
  const next: Partial<EndpointRow> = { updatedAt: now };
  if (change.url !== undefined) next.url = change.url;
  if (change.events !== undefined) next.events = JSON.stringify([...new Set(change.events)]);
  if (change.include_answer !== undefined) next.includeAnswer = change.include_answer ? 1 : 0;
  if (change.enabled) Object.assign(next, { status: "active", disabledReason: null, disabledAt: null });
  await s.db.orm.update(webhookEndpoints).set(next).where(eq(webhookEndpoints.id, row.id));
  return { ...row, ...next };
}

/** Longest overlap of a rotation, and the default. */
export const MAX_OVERLAP_SECONDS = 7 * 86_400;
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/**
 * A new secret; the current one keeps signing too (two signatures per attempt) until the
 * overlap ends, so receivers can switch without dropping a message.
 */
export async function rotateSecret(s: Services, row: EndpointRow, overlapSeconds: number): Promise<{ row: EndpointRow; secret: string }> {
  const now = s.clock.now();
  const secret = newSecret();
  const next = {
    secret,
    previousSecret: overlapSeconds > 0 ? row.secret : null,
    previousSecretExpiresAt: overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000).toISOString() : null,
    updatedAt: now.toISOString(),
  };
  await s.db.orm.update(webhookEndpoints).set(next).where(eq(webhookEndpoints.id, row.id));
  return { row: { ...row, ...next }, secret };
}

/** The secrets that sign now: the current one, and the previous one while a rotation overlaps. */
export function signingSecrets(row: EndpointRow, now: Date): string[] {
  const overlap = row.previousSecret && row.previousSecretExpiresAt && Date.parse(row.previousSecretExpiresAt) > now.getTime();
  return overlap ? [row.secret, row.previousSecret as string] : [row.secret];
}

/** What the API shows of an endpoint: never its secret. */
export function publicEndpoint(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEvent[],
    include_answer: row.includeAnswer === 1,
    status: row.status,
    disabled_reason: row.disabledReason,
    disabled_at: row.disabledAt,
    previous_secret_expires_at: row.previousSecretExpiresAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
