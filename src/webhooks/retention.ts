import { and, inArray, lt } from "drizzle-orm";
import { webhookDeliveries } from "../../schema/index.ts";
import type { Services } from "../services.ts";

/** Finished messages stay in the delivery log this long. */
export const DELIVERY_LOG_DAYS = 30;

/** Daily: forget delivered and failed messages older than the log keeps (pending ones stay). */
export async function pruneDeliveries(s: Services) {
  const cutoff = new Date(s.clock.now().getTime() - DELIVERY_LOG_DAYS * 86_400_000).toISOString();
  const deleted = await s.db.orm
    .delete(webhookDeliveries)
    .where(and(inArray(webhookDeliveries.status, ["delivered", "failed"]), lt(webhookDeliveries.updatedAt, cutoff)))
    .returning({ id: webhookDeliveries.id });
  return { deleted_webhook_deliveries: deleted.length };
}
