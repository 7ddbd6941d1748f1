// When a failed message is tried again. The Standard Webhooks example schedule (5 s, 5 min, 30 min,
// 2 h, 5 h, 10 h, 10 h after the first attempt), then three more 14 h steps to reach about three
// days; each delay ±10 % jitter so receivers coming back are not hit all at once.
const S = 1000;
export const RETRY_DELAYS_MS = [5 * S, 300 * S, 1800 * S, 7200 * S, 18_000 * S, 36_000 * S, 36_000 * S, 50_400 * S, 50_400 * S, 50_400 * S];
/** The first attempt and every retry. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** A receiver's Retry-After is honoured up to this long. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * S;

/** The wait after `attempts` failed attempts (1 or more). */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1];
  return Math.round(base * (0.9 + 0.2 * random()));
}

/** Retry-After (seconds or an HTTP date) in ms from `now`, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  const ms = /^\d+$/.test(v) ? Number(v) * S : Date.parse(v) - now.getTime();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}
