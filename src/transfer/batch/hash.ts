/** Hash helpers for batches: SHA-256 hex comes from the shared WebCrypto helpers. */
export { sha256Hex } from "../../lib/crypto.ts";

/** `prev_hash` of the first batch of a direction: there is no previous file. */
export const ZERO_HASH = "0".repeat(64);
