// An endpoint's delivery log (newest first) and redelivery: a redelivered message keeps its
// `webhook-id`, so a receiver that already has it drops it.
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { webhookDeliveries } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";
import type { EndpointRow } from "./endpoints.ts";
import type { WebhookEvent } from "./events.ts";

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

const NEWEST_FIRST = keyset<DeliveryRow>([
  { name: "c", column: webhookDeliveries.createdAt, order: "desc", cursor: z.string(), of: (r) => r.createdAt },
  { name: "i", column: webhookDeliveries.id, order: "desc", cursor: z.string(), of: (r) => r.id },
]);

export async function listDeliveries(s: Services, endpoint: EndpointRow, req: PageRequest): Promise<Page<DeliveryRow>> {
  return NEWEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpoint.id), q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}

/** Queues the message again, due now, with a fresh retry schedule. */
export async function redeliver(s: Services, endpoint: EndpointRow, deliveryId: string): Promise<DeliveryRow> {
  const row = await s.db.orm
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpoint.id)))
    .get();
  if (!row) throw new ApiError("not_found", { detail: "no such delivery" });
  if (endpoint.status !== "active") throw new ApiError("conflict", { detail: "the endpoint is disabled; nothing is delivered to it" });
  const now = s.clock.now().toISOString();
  const next = { status: "pending" as const, attempts: 0, nextAttemptAt: now, updatedAt: now };
  await s.db.orm.update(webhookDeliveries).set(next).where(eq(webhookDeliveries.id, row.id));
  return { ...row, ...next };
}

export function publicDelivery(r: DeliveryRow) {
  return {
    id: r.id,
    event: r.event as WebhookEvent,
    request_id: r.requestId,
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.status === "pending" ? r.nextAttemptAt : null,
    last_status: r.lastStatus,
    last_error: r.lastError,
    created_at: r.createdAt,
    delivered_at: r.deliveredAt,
  };
}
