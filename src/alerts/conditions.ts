import type { Services } from "../services.ts";
import type { AlertName } from "./store.ts";
import type { transferStatus } from "../transfer/status.ts";
import type { requestGauges } from "../requests/stats.ts";

type Status = Awaited<ReturnType<typeof transferStatus>>;
type Gauges = Awaited<ReturnType<typeof requestGauges>>;

/** What one evaluation saw: firing or not, and the facts an operator reads first. */
export interface Verdict {
  firing: boolean;
  details: Record<string, unknown>;
}

export interface Inputs {
  now: Date;
  status: Status;
  requests: Gauges;
  /** Backend errors this process counted since the previous evaluation. */
  limiterErrors: number;
  cacheErrors: number;
}

const ageMs = (now: Date, at: string | null | undefined) => (at ? now.getTime() - Date.parse(at) : 0);
const off = { firing: false, details: {} };
/** Older than a threshold; a threshold of 0 turns the condition off. */
const olderThan = (limitMs: number, age: number) => limitMs > 0 && age > limitMs;

/** Every condition's verdict, from inputs already read (no query here). */
export function judge(s: Services, i: Inputs): Record<AlertName, Verdict> {
  const a = s.config.alerts;
  const { outgoing: out, incoming: inc, peer } = i.status;
  const heardMs = peer.seconds_since_heard === null ? 0 : peer.seconds_since_heard * 1000;
  const oldestHeld = inc.held[0]?.received_at ?? null;
  const quarantined = inc.quarantined + out.quarantined_by_peer.length;
  const dead = inc.dead_letters + out.dead_letters + out.peer_dead_letters;
  const link = a.linkErrors;
  const backend = a.backendErrors;
  return {
    // Never heard from at all is a new link, not a dead one.
    peer_not_heard_from: {
      firing: olderThan(a.noImportMs, heardMs),
      details: { last_heard_at: peer.last_heard_at, seconds_since_heard: peer.seconds_since_heard, threshold_minutes: a.noImportMs / 60_000 },
    },
    unacknowledged_batch: {
      firing: olderThan(a.unackedMs, ageMs(i.now, out.oldest_unacknowledged_at)),
      details: { unacknowledged: out.unacknowledged, oldest_unacknowledged_at: out.oldest_unacknowledged_at, threshold_minutes: a.unackedMs / 60_000 },
    },
    held_batch: {
      firing: olderThan(a.heldMs, ageMs(i.now, oldestHeld)),
      details: { held: inc.held.length, oldest_received_at: oldestHeld, gaps: inc.gaps.slice(0, 10), threshold_minutes: a.heldMs / 60_000 },
    },
    quarantined_batches: link ? { firing: quarantined > 0, details: { in: inc.quarantined, peer: out.quarantined_by_peer.length } } : off,
    dead_letters: link ? { firing: dead > 0, details: { in: inc.dead_letters, out: out.dead_letters, peer: out.peer_dead_letters } } : off,
    oldest_pending_request: {
      firing: olderThan(a.pendingRequestMs, ageMs(i.now, i.requests.oldest_pending_at)),
      details: { oldest_pending_at: i.requests.oldest_pending_at, pending: i.requests.pending, threshold_minutes: a.pendingRequestMs / 60_000 },
    },
    processor_failing: a.processorFailing ? { firing: i.requests.processor_failing > 0, details: { requests: i.requests.processor_failing } } : off,
    rate_limiter_errors: backend ? { firing: i.limiterErrors > 0, details: { errors: i.limiterErrors } } : off,
    cache_errors: backend ? { firing: i.cacheErrors > 0, details: { errors: i.cacheErrors } } : off,
  };
}
