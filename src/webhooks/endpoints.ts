// A user's webhook endpoints on the request network: registered, read and removed by their owner
// (admins: anyone's). The secret is returned once, when the endpoint is created.
import { and, desc, eq, sql } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Principal } from "../identity/roles.ts";
import { ApiError } from "../errors.ts";
import { newId } from "../lib/ids.ts";
import { newSecret } from "./signing.ts";
import type { WebhookEvent } from "./events.ts";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** Most endpoints one user may have. */
export const MAX_ENDPOINTS_PER_USER = 10;

export function assertWebhookNetwork(s: Services) {
  if (s.config.role !== "request") throw new ApiError("wrong_network", { detail: "webhooks are on the request network" });
}

export interface EndpointInput {
  url: string;
  events: WebhookEvent[];
  include_answer?: boolean;
}

export async function createEndpoint(s: Services, userId: string, input: EndpointInput): Promise<{ row: EndpointRow; secret: string }> {
  assertWebhookNetwork(s);
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

export async function listEndpoints(s: Services, userId: string): Promise<EndpointRow[]> {
  assertWebhookNetwork(s);
  return s.db.orm.select().from(webhookEndpoints).where(eq(webhookEndpoints.userId, userId)).orderBy(desc(webhookEndpoints.createdAt)).all();
}

/** The endpoint if `p` may see it; anyone else's is "not found", so ids cannot be probed. */
export async function visibleEndpoint(s: Services, p: Principal, id: string): Promise<EndpointRow> {
  assertWebhookNetwork(s);
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

export async function updateEndpoint(s: Services, row: EndpointRow, change: EndpointChange): Promise<EndpointRow> {
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
