import { requests, responses } from "../../schema/index.ts";
import type { Services } from "../../src/services.ts";
import { newId } from "../../src/lib/ids.ts";

/**
 * A request row written straight into the database, as it stands on this network: "submitted"
 * on the request network, "received" on the response network (what an import leaves), or
 * answered with a response when `answered` is set.
 */
export async function seedRequest(s: Services, userId: string, o: { answered?: boolean } = {}) {
  const now = s.clock.now().toISOString();
  const open = s.config.role === "request" ? ("submitted" as const) : ("received" as const);
  const row = {
    id: newId("req"),
    userId,
    topic: "fixture",
    body: JSON.stringify({ q: "fixture" }),
    status: o.answered ? ("answered" as const) : open,
    createdAt: now,
    updatedAt: now,
    answeredAt: o.answered ? now : null,
    replicaVersion: 1,
    masterVersion: s.config.role === "request" ? (o.answered ? 3 : 0) : o.answered ? 3 : 1,
  };
  await s.db.orm.insert(requests).values(row);
  if (o.answered) {
    await s.db.orm.insert(responses).values({
      requestId: row.id,
      kind: "answer",
      body: JSON.stringify({ a: "fixture" }),
      contentType: "application/json",
      answeredBy: "usr_fixture",
      answeredAt: now,
      version: 1,
      deliveredSequence: s.config.role === "request" ? 1 : null,
    });
  }
  return row;
}
