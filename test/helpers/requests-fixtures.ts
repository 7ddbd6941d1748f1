import { requests, responses } from "../../schema/index.ts";
import type { Services } from "../../src/services.ts";
import type { Statement } from "../../src/deps/db/database.ts";
import type { RequestRecord } from "../../src/requests/records.ts";
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

/** Runs the statements an apply function returned, in one batch. */
export const run = async (s: Services, st: Statement[]) => {
  if (st.length) await s.db.batch(st as [Statement, ...Statement[]]);
};

export function requestRecordFor(o: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: newId("req"),
    user_id: "usr_apply",
    api_key_id: null,
    topic: "weather",
    body: { q: "rain?", n: [1, 2, 3], s: "text with 'quotes' and \"double\"" },
    priority: 0,
    created_at: "2026-01-01T00:00:00.000Z",
    cancelled_at: null,
    version: 1,
    ...o,
  };
}

/** A request row as the request network holds it after submission. */
export async function seedReplicaRequest(s: Services, o: Partial<typeof requests.$inferInsert> = {}) {
  const now = s.clock.now().toISOString();
  const row = {
    id: newId("req"),
    userId: "usr_apply",
    topic: "weather",
    body: JSON.stringify({ q: 1 }),
    priority: 0,
    status: "submitted" as const,
    createdAt: now,
    updatedAt: now,
    replicaVersion: 1,
    masterVersion: 0,
    ...o,
  };
  await s.db.orm.insert(requests).values(row);
  return row;
}
