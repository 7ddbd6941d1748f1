import { and, desc, eq, inArray } from "drizzle-orm";
import { requestEvents, requests } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { RequestRow } from "./records.ts";

/**
 * When may a pending request's answer arrive? From the observed cadence:
 *
 * - the sample: the SAMPLE_SIZE most recent requests whose outcome reached this
 *   network (request network: the "available" event, i.e. the batch carrying
 *   the response was imported; response network: "answered"/"rejected");
 * - each sample's turnaround: that event's time minus the request's creation;
 * - the estimate is the request's creation plus the median turnaround of the
 *   samples that took longer than this request has already waited (a
 *   conditional median: a request pending for 3 hours is not told "any minute
 *   now" because most requests take 10 minutes);
 * - no estimate (null) without history, or when the request has already waited
 *   longer than every sample.
 *
 * Samples are read at most once a minute per process (the query scans recent
 * events), so polling clients do not add load.
 */
export const SAMPLE_SIZE = 50;
const REFRESH_MS = 60_000;

export interface Estimate {
  at: string;
  basedOn: string;
  sampleSize: number;
  medianSeconds: number;
}

const memo = new WeakMap<Services, { loadedAt: number; turnaroundsMs: number[] }>();

async function turnarounds(s: Services): Promise<number[]> {
  const now = s.clock.now().getTime();
  const hit = memo.get(s);
  if (hit && now - hit.loadedAt < REFRESH_MS && now >= hit.loadedAt) return hit.turnaroundsMs;
  const outcome = s.config.role === "request" ? ["available"] : ["answered", "rejected"];
  const rows = await s.db.orm
    .select({ created: requests.createdAt, at: requestEvents.at })
    .from(requestEvents)
    .innerJoin(requests, eq(requests.id, requestEvents.requestId))
    .where(and(inArray(requestEvents.status, outcome), eq(requestEvents.network, s.config.networkId)))
    .orderBy(desc(requestEvents.at))
    .limit(SAMPLE_SIZE)
    .all();
  const turnaroundsMs = rows.map((r) => Date.parse(r.at) - Date.parse(r.created)).filter((d) => Number.isFinite(d) && d >= 0);
  memo.set(s, { loadedAt: now, turnaroundsMs });
  return turnaroundsMs;
}

/** Forget the memo (tests; after an import that delivered many responses it would refresh within a minute anyway). */
export function resetEstimates(s: Services): void {
  memo.delete(s);
}

export function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export async function estimateAnswer(s: Services, r: Pick<RequestRow, "createdAt">): Promise<Estimate | null> {
  const all = await turnarounds(s);
  const created = Date.parse(r.createdAt);
  const waited = s.clock.now().getTime() - created;
  const longer = all.filter((d) => d > waited).sort((a, b) => a - b);
  if (!longer.length) return null;
  const m = median(longer);
  return {
    at: new Date(created + m).toISOString(),
    basedOn: `median turnaround of the ${longer.length} of the last ${all.length} answered requests that took longer than ${Math.round(waited / 1000)} s`,
    sampleSize: longer.length,
    medianSeconds: Math.round(m / 1000),
  };
}
