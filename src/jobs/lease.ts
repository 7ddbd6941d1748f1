import { and, eq, lt } from "drizzle-orm";
import { jobLocks } from "../../schema/index.ts";
import type { Services } from "../services.ts";

/**
 * A lease in the database so a job still running in another isolate or process
 * is not started again; it expires so a crashed holder cannot block forever.
 */
export async function withJobLease<T>(s: Services, job: string, ttlMs: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  const holder = crypto.randomUUID();
  const now = s.clock.now();
  const acquired = await s.db.orm
    .insert(jobLocks)
    .values({ job, holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString() })
    .onConflictDoUpdate({
      target: jobLocks.job,
      set: { holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString() },
      setWhere: lt(jobLocks.expiresAt, now.toISOString()),
    })
    .returning({ holder: jobLocks.holder });
  if (acquired[0]?.holder !== holder) return { ran: false };
  try {
    return { ran: true, value: await fn() };
  } finally {
    await s.db.orm.delete(jobLocks).where(and(eq(jobLocks.job, job), eq(jobLocks.holder, holder)));
  }
}

/** Like withJobLease, but waits up to `waitMs` for a running holder to finish first. */
export async function withJobLeaseWaiting<T>(s: Services, job: string, ttlMs: number, waitMs: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  const deadline = Date.now() + waitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const r = await withJobLease(s, job, ttlMs, fn);
    if (r.ran || Date.now() + delay > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
