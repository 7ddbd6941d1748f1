/**
 * Compares two byte arrays in time that depends only on their lengths, never on
 * where they first differ, so a caller comparing a secret (password hash, token
 * digest) leaks nothing through timing. Lengths are treated as public: callers
 * compare fixed-size digests. Pure JS so it runs on workerd, Node and Deno alike
 * (node:crypto's timingSafeEqual is not available everywhere and throws on
 * unequal lengths).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const len = Math.max(a.length, b.length);
  // A length mismatch is folded into the result instead of returning early.
  let diff = a.length ^ b.length;
  for (let i = 0; i < len; i++) {
    const x = i < a.length ? a[i] : 0;
    const y = i < b.length ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff === 0;
}
