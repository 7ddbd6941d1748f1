// Waiting reads: GET /v1/requests/{id}/response?wait=N holds the request until the answer arrives
// or N seconds pass (docs/requests.md "Waiting reads").
import type { Services } from "../services.ts";
import { responseStateOf } from "./responses.ts";

export const MAX_WAIT_SECONDS = 60;
/** How often a waiting read looks again: cheap (the small state row by primary key), and well inside the 1 s the answer must take. */
export const WAIT_POLL_MS = 250;
export const WAIT_LIMITS = { perIdentity: 5, perProcess: 1000 };

export type ResponseState = NonNullable<Awaited<ReturnType<typeof responseStateOf>>>;

/** Anything but "still pending": an answer, a rejection, or a cancellation. */
export const settled = (r: ResponseState) => r.kind === "rejection" || (r.kind === "answer" && r.version !== null) || r.status === "cancelled";

/** Counts the waits in flight in this process (or isolate), per identity and in all. */
export class WaitGate {
  private readonly byIdentity = new Map<string, number>();
  private total = 0;
  constructor(readonly limits: { perIdentity: number; perProcess: number } = WAIT_LIMITS) {}

  /** A slot (call the result once to give it back), or null when a bound is reached. */
  enter(identity: string): (() => void) | null {
    const mine = this.byIdentity.get(identity) ?? 0;
    if (mine >= this.limits.perIdentity || this.total >= this.limits.perProcess) return null;
    this.byIdentity.set(identity, mine + 1);
    this.total++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.total--;
      const left = (this.byIdentity.get(identity) ?? 1) - 1;
      if (left > 0) this.byIdentity.set(identity, left);
      else this.byIdentity.delete(identity);
    };
  }

  get inFlight() {
    return this.total;
  }
}

export const waitGate = new WaitGate();

// An import in this process wakes its waiters at once; other processes and isolates find the
// answer by polling.
const wakers = new Set<() => void>();
export function wakeWaiters() {
  for (const wake of [...wakers]) wake();
}

function pause(ms: number, signal: AbortSignal | undefined) {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wakers.delete(done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wakers.add(done);
    signal?.addEventListener("abort", done);
  });
}

/**
 * Looks again every WAIT_POLL_MS until the response is settled, `ms` have passed or the
 * client went away (`signal`); answers the latest state. Real time, not the services'
 * clock: this is how long a connection is held.
 */
export async function waitForResponse(s: Services, requestId: string, from: ResponseState, o: { ms: number; signal?: AbortSignal }): Promise<ResponseState> {
  const deadline = Date.now() + o.ms;
  let row = from;
  while (!settled(row) && !o.signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    await pause(Math.min(WAIT_POLL_MS, left), o.signal);
    row = (await responseStateOf(s, requestId)) ?? row;
  }
  return row;
}
