// What the Upstash-compatible endpoint lets through: an allowlist of commands and of Lua
// scripts (by the SHA-1 of their text). Whoever holds the endpoint's token can then read and
// change keys, but not reconfigure, flush, replicate, persist or inspect the server.
import { toHex } from "../lib/crypto.ts";

/** Exactly the commands Airlock's cache (src/deps/cache/upstash.ts) and rate limiter (src/deps/ratelimit/upstash.ts) send. */
export const AIRLOCK_COMMANDS: readonly string[] = [
  "GET", "SET", "MGET", "DEL", "UNLINK", "EXISTS", "EXPIRE", "INCR", "SCAN", "PING",
  "SADD", "SMEMBERS", "SREM", "HINCRBY", "HSETNX", "HGETALL",
  "EVAL", "EVALSHA", // only for the scripts the endpoint was given
];

/**
 * Never allowed, whatever an endpoint is configured with: server configuration, users,
 * replication, persistence, whole-keyspace or whole-server operations, other clients,
 * modules and functions (Lua that no allowlist has seen).
 */
export const NEVER_ALLOWED: ReadonlySet<string> = new Set([
  "FLUSHALL", "FLUSHDB", "CONFIG", "ACL", "AUTH", "HELLO", "REPLICAOF", "SLAVEOF", "SYNC", "PSYNC", "REPLCONF", "FAILOVER",
  "SAVE", "BGSAVE", "BGREWRITEAOF", "LASTSAVE", "SHUTDOWN", "SWAPDB", "SELECT", "MOVE", "KEYS", "RANDOMKEY", "DBSIZE",
  "CLIENT", "MONITOR", "DEBUG", "MODULE", "MIGRATE", "RESTORE", "RESTORE-ASKING", "DUMP", "CLUSTER", "READONLY", "READWRITE",
  "INFO", "COMMAND", "LATENCY", "MEMORY", "SLOWLOG", "LOLWUT", "OBJECT", "FUNCTION", "FCALL", "FCALL_RO", "PUBLISH", "SPUBLISH", "PUBSUB",
]);
/** SCRIPT subcommands a configured SCRIPT may use (LOAD only for given scripts); FLUSH and KILL never. */
const SCRIPT_SUBCOMMANDS = new Set(["LOAD", "EXISTS"]);

export const MIN_TOKEN_LENGTH = 32;
/** @upstash/redis' auto-pipelining sends at most 1000 commands per request. */
export const DEFAULT_MAX_PIPELINE = 1_000;

const utf8 = new TextEncoder();

export async function sha1Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-1", utf8.encode(text))));
}

/** A command name fit for an error message (the client controls it). */
const shown = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);

export class CommandPolicy {
  private commands: ReadonlySet<string>;
  private scripts: Promise<ReadonlySet<string>>;

  /** Throws (a programming error) when asked to allow what is never allowed. */
  constructor(commands: readonly string[], scripts: readonly string[]) {
    const names = new Set(commands.map((c) => c.toUpperCase()));
    const bad = [...names].filter((c) => NEVER_ALLOWED.has(c));
    if (bad.length) throw new Error(`the Upstash endpoint never allows ${bad.join(", ")}`);
    this.commands = names;
    this.scripts = Promise.all(scripts.map(sha1Hex)).then((h) => new Set(h));
  }

  /** Why `args` is refused, or undefined when it may run. */
  async refusal(args: string[]): Promise<string | undefined> {
    const name = args[0].toUpperCase();
    const sub = (args[1] ?? "").toUpperCase();
    const scripts = await this.scripts;
    if (NEVER_ALLOWED.has(name)) return `ERR ${name === "CLIENT" || name === "CONFIG" || name === "ACL" ? `${name} ${sub}`.trim() : name} is not allowed on this endpoint`;
    if (!this.commands.has(name)) return `ERR command ${shown(args[0])} is not allowed on this endpoint`;
    if (name === "EVAL" || name === "EVAL_RO") {
      const sha = args.length > 1 ? await sha1Hex(args[1]) : "";
      if (!scripts.has(sha)) return `ERR this script is not allowed on this endpoint (SHA-1 ${sha || "none"}); it runs only the scripts it was given`;
    }
    // NOSCRIPT, so a client that falls back to EVAL sends the text, which is then checked as above.
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && !scripts.has((args[1] ?? "").toLowerCase())) {
      return "NOSCRIPT No matching script: this endpoint runs only the scripts it was given";
    }
    if (name === "SCRIPT") {
      if (!SCRIPT_SUBCOMMANDS.has(sub)) return `ERR SCRIPT ${shown(sub).slice(1, -1)} is not allowed on this endpoint`;
      if (sub === "LOAD" && !scripts.has(await sha1Hex(args[2] ?? ""))) return "ERR this script is not allowed on this endpoint; it runs only the scripts it was given";
    }
    return undefined;
  }
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
