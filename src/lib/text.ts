/**
 * Text an outsider controls is cut to `max` UTF-16 units before it is stored, echoed, logged or
 * exported; the cut says how much was dropped, and never splits a surrogate pair.
 */
export function bounded(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - 24);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // do not leave half a pair
  return `${s.slice(0, end)}… (+${s.length - end} chars)`;
}

/** Longest reason (quarantine, dead letter, refused retry) kept anywhere. */
export const MAX_REASON = 1000;
