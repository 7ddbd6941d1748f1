// Lua scripts on the Upstash-compatible endpoint: their SHA-1 (the allowlist and EVALSHA name
// scripts by it), and the rewriting of shebang flags Redis 7.0 does not know, with the map that
// lets a client's EVALSHA of its own script's SHA-1 find the rewritten script Redis holds.
import { sha1 } from "@noble/hashes/legacy.js";
import { toHex } from "../lib/crypto.ts";

const utf8 = new TextEncoder();

/** In JavaScript, not WebCrypto: in Node a digest is a job for another thread, a wait on every EVAL. */
export function sha1Hex(text: string): string {
  return toHex(sha1(utf8.encode(text)));
}

// Script flags Redis 7.0 understands; others (e.g. ratelimit's allow-key-locking) make it refuse the script.
const KNOWN_SCRIPT_FLAGS = new Set(["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]);

/**
 * Drops script-shebang flags Redis 7.0 does not know. When no flags are left the shebang goes
 * too (its text, not its newline, so line numbers in Lua errors still match the client's script).
 * Returns the script unchanged when there is nothing to drop.
 */
export function stripUnknownShebangFlags(script: string): string {
  if (!script.startsWith("#!lua")) return script;
  const nl = script.indexOf("\n");
  const line = nl === -1 ? script : script.slice(0, nl);
  const rest = nl === -1 ? "" : script.slice(nl);
  const parts = line.slice("#!lua".length);
  if (parts !== "" && !/^\s/.test(parts)) return script; // "#!luax": not ours to fix
  let changed = false;
  const kept: string[] = [];
  for (const part of parts.trim().split(/\s+/).filter(Boolean)) {
    if (!part.startsWith("flags=")) {
      kept.push(part);
      continue;
    }
    const flags = part.slice("flags=".length).split(",").filter(Boolean);
    const known = flags.filter((f) => KNOWN_SCRIPT_FLAGS.has(f));
    if (known.length === flags.length) {
      kept.push(part);
      continue;
    }
    changed = true;
    if (known.length > 0) kept.push(`flags=${known.join(",")}`);
  }
  if (!changed) return script;
  return (kept.length === 0 ? "" : ["#!lua", ...kept].join(" ")) + rest;
}

const MAX_SCRIPT_MAPPINGS = 10_000;

/** Remembers "SHA1 of the script the client sent" -> "SHA1 of the script Redis has". */
export class ScriptShaMap {
  private map = new Map<string, string>();

  /** Rewrites the script if needed and records the mapping; returns what to send and the client's SHA. */
  rewrite(script: string): { script: string; clientSha?: string } {
    const fixed = stripUnknownShebangFlags(script);
    if (fixed === script) return { script };
    const clientSha = sha1Hex(script);
    const redisSha = sha1Hex(fixed);
    this.map.delete(clientSha); // re-insert so the most recent stays longest
    this.map.set(clientSha, redisSha);
    if (this.map.size > MAX_SCRIPT_MAPPINGS) this.map.delete(this.map.keys().next().value as string);
    return { script: fixed, clientSha };
  }

  /** Unknown SHAs pass through so Redis answers NOSCRIPT itself. */
  translate(sha: string): string {
    return this.map.get(sha.toLowerCase()) ?? sha;
  }
}
