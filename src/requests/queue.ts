import { z } from "zod";
import { and, eq, gt, inArray, isNotNull, isNull, lte, ne, or, type SQL } from "drizzle-orm";
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
}

const MOST_URGENT_FIRST = keyset<RequestRow>([
  { name: "p", column: requests.priority, order: "desc", cursor: z.number(), of: (r) => r.priority },
  { name: "c", column: requests.createdAt, order: "asc", cursor: z.string(), of: (r) => r.createdAt },
  { name: "i", column: requests.id, order: "asc", cursor: z.string(), of: (r) => r.id },
]);

/** Received, unanswered requests: most urgent first, then oldest first. */
export function listQueue(s: Services, operatorId: string, f: QueueFilter, req: PageRequest): Promise<Page<RequestRow>> {
  const now = s.clock.now().toISOString();
  const live = and(isNotNull(requests.claimedBy), gt(requests.claimExpiresAt, now));
  const unclaimed = or(isNull(requests.claimedBy), lte(requests.claimExpiresAt, now));
  const where: Array<SQL | undefined> = [
    f.status ? eq(requests.status, f.status) : inArray(requests.status, ["received", "processing"]),
    f.topic ? eq(requests.topic, f.topic) : undefined,
    f.userId ? eq(requests.userId, f.userId) : undefined,
    f.claimed === "mine" ? and(live, eq(requests.claimedBy, operatorId)) : undefined,
    f.claimed === "unclaimed" ? unclaimed : undefined,
    f.claimed === "others" ? and(live, ne(requests.claimedBy, operatorId)) : undefined,
    f.processorFailed === true ? isNotNull(requests.processorError) : f.processorFailed === false ? isNull(requests.processorError) : undefined,
  ];
  return MOST_URGENT_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(requests)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}
