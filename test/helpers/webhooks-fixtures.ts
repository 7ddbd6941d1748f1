import { webhookEndpoints } from "../../schema/index.ts";
import type { Services } from "../../src/services.ts";
import { newId } from "../../src/lib/ids.ts";
import { newSecret } from "../../src/webhooks/signing.ts";

/** A webhook endpoint written straight into the database (any network: the table exists on both). */
export async function seedEndpoint(s: Services, userId: string, o: { url?: string; events?: string[] } = {}) {
  const now = s.clock.now().toISOString();
  const row = {
    id: newId("whk"),
    userId,
    url: o.url ?? "https://example.com/hook",
    events: JSON.stringify(o.events ?? ["request.answered"]),
    includeAnswer: 0,
    secret: newSecret(),
    status: "active" as const,
    createdAt: now,
    updatedAt: now,
  };
  await s.db.orm.insert(webhookEndpoints).values(row);
  return row;
}
