import { z } from "zod";
import { and, count, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, ne, or, type SQL } from "drizzle-orm";
import { requests } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";
import type { RequestRow } from "./records.ts";
import { requestSummary } from "./requests.ts";

/** The queue exists on the response network only. */
export function assertQueueNetwork(s: Services) {
  if (s.config.role !== "response") throw new ApiError("wrong_network", { detail: "the queue is on the response network" });
}

/** A request as the operators' queue shows it: with its body, claim and processor state. */
export function queueItem(r: RequestRow) {
  return {
    ...requestSummary(r),
    body: JSON.parse(r.body) as unknown,
    claimed_by: r.claimedBy,
    claim_expires_at: r.claimExpiresAt,
    processor: { attempts: r.processorAttempts, error: r.processorError, next_attempt_at: r.processorNextAt },
  };
}

export interface QueueFilter {
  status?: "received" | "processing";
  topic?: string;
  userId?: string;
  /** Live claims only: an expired claim counts as unclaimed. "mine" and "others" are relative to `operatorId`. */
  claimed: "any" | "mine" | "unclaimed" | "others";
  /** Only requests the processor failed on (true) or not (false). */
  processorFailed?: boolean;
  /** Only requests at least this urgent (priority 0–9). */
  minPriority?: number;
  /** Only requests created before this instant (ISO 8601): those that have waited at least so long. */
  createdBefore?: string;
}

const MOST_URGENT_FIRST = keyset<RequestRow>([
  { name: "p", column: requests.priority, order: "desc", cursor: z.number(), of: (r) => r.priority },
  { name: "c", column: requests.createdAt, order: "asc", cursor: z.string(), of: (r) => r.createdAt },
  { name: "i", column: requests.id, order: "asc", cursor: z.string(), of: (r) => r.id },
]);

function queueWhere(s: Services, operatorId: string, f: QueueFilter): SQL | undefined {
  const now = s.clock.now().toISOString();
  const live = and(isNotNull(requests.claimedBy), gt(requests.claimExpiresAt, now));
  const unclaimed = or(isNull(requests.claimedBy), lte(requests.claimExpiresAt, now));
  return and(
    f.status ? eq(requests.status, f.status) : inArray(requests.status, ["received", "processing"]),
    f.topic ? eq(requests.topic, f.topic) : undefined,
    f.userId ? eq(requests.userId, f.userId) : undefined,
    f.claimed === "mine" ? and(live, eq(requests.claimedBy, operatorId)) : undefined,
    f.claimed === "unclaimed" ? unclaimed : undefined,
    f.claimed === "others" ? and(live, ne(requests.claimedBy, operatorId)) : undefined,
    f.processorFailed === true ? isNotNull(requests.processorError) : f.processorFailed === false ? isNull(requests.processorError) : undefined,
    f.minPriority ? gte(requests.priority, f.minPriority) : undefined,
    f.createdBefore ? lt(requests.createdAt, f.createdBefore) : undefined,
  );
}

/** Received, unanswered requests: most urgent first, then oldest first. */
export function listQueue(s: Services, operatorId: string, f: QueueFilter, req: PageRequest): Promise<Page<RequestRow>> {
  const where = queueWhere(s, operatorId, f);
  return MOST_URGENT_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(requests)
      .where(and(where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}

/** How many requests the same filter matches (all pages). */
export async function countQueue(s: Services, operatorId: string, f: QueueFilter): Promise<number> {
  const row = await s.db.orm
    .select({ n: count() })
    .from(requests)
    .where(queueWhere(s, operatorId, f))
    .get();
  return row?.n ?? 0;
}
