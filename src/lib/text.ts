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

// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, control characters included
const NON_ASCII = /[^\u0000-\u007f]/;

/** UTF-8 length of a string without allocating the encoded bytes. */
export function utf8Length(s: string): number {
  if (!NON_ASCII.test(s)) return s.length; // the common case, and a regex scans faster than the loop below
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // surrogate pair
      i++;
    } else n += 3; // BMP, or a lone surrogate (encoded as U+FFFD)
  }
  return n;
}
