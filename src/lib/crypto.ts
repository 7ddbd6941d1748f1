// Small WebCrypto helpers shared by tokens, API keys, the audit chain and batches.
import { sha256 } from "@noble/hashes/sha2.js";
const enc = new TextEncoder();

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Up to this many bytes, SHA-256 runs in JavaScript (@noble/hashes, on every runtime): in Node a
 * WebCrypto digest is a job handed to another thread, which costs far more than hashing a key or a token.
 */
const SMALL_DIGEST_BYTES = 1024;

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  if (bytes.length <= SMALL_DIGEST_BYTES) return toHex(sha256(bytes));
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/** Standard base64 (with padding). */
export function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function base64url(bytes: Uint8Array): string {
  return base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `n` bytes of randomness as base64url text. */
export const randomToken = (n = 32) => base64url(crypto.getRandomValues(new Uint8Array(n)));

/** JSON with sorted keys, so a hash over it does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
