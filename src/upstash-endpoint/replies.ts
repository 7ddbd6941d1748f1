// Redis replies as the Upstash REST API's JSON: with `Upstash-Encoding: base64` every string in a
// result is base64 (recursively), except the status reply "OK", which the client leaves undecoded.
import { base64 } from "../lib/crypto.ts";

/** What node-redis yields for RESP 2 with blob strings mapped to Buffer. */
export type Reply = null | number | string | Uint8Array | Error | Reply[];
export type Json = null | number | string | Json[];

export const RESP_BLOB_STRING = 36; // RESP_TYPES.BLOB_STRING ('$'), inlined to avoid a runtime import of node-redis

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Reply -> JSON. Bulk strings arrive as bytes and status replies as JS strings, which keeps
 * "OK"-the-status apart from "OK"-the-value: the client decodes every string but "OK" as base64.
 */
export function encodeReply(r: Reply, asBase64: boolean): Json {
  if (r === null || r === undefined) return null;
  if (typeof r === "number") return r;
  if (Array.isArray(r)) return r.map((x) => encodeReply(x, asBase64));
  if (r instanceof Uint8Array) return asBase64 ? base64(r) : utf8Decoder.decode(r);
  const s = r instanceof Error ? r.message : String(r); // errors nested in arrays (Lua tables) become strings
  if (!asBase64 || (s === "OK" && !(r instanceof Error))) return s;
  return base64(utf8.encode(s));
}

/** Redis error replies are ErrorReply subclasses; anything else (closed socket, offline) is ours. */
export function isReplyError(e: unknown): e is Error {
  for (let p = e; p && typeof p === "object"; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === "ErrorReply") return true;
  }
  return false;
}
