// What the Upstash-compatible endpoint lets through: an allowlist of commands and of Lua
// scripts (by the SHA-1 of their text). Whoever holds the endpoint's token can then read and
// change keys, but not reconfigure, flush, replicate, persist or inspect the server.
// Also what the one shared connection cannot take (refused), what blocks (run on a connection of
// its own), and prepare(): one command checked and made ready for Redis.
import type { Reply } from "./replies.ts";
import { sha1Hex, type ScriptShaMap } from "./scripts.ts";

/** Exactly the commands Airlock's cache (src/deps/cache/upstash.ts) and rate limiter (src/deps/ratelimit/upstash.ts) send. */
export const AIRLOCK_COMMANDS: readonly string[] = [
  "GET",
  "SET",
  "MGET",
  "DEL",
  "UNLINK",
  "EXISTS",
  "EXPIRE",
  "INCR",
  "SCAN",
  "PING",
  "SADD",
  "SMEMBERS",
  "SREM",
  "HINCRBY",
  "HSETNX",
  "HGETALL",
  "EVAL",
  "EVALSHA", // only for the scripts the endpoint was given
];

/**
 * Never allowed, whatever an endpoint is configured with: server configuration, users,
 * replication, persistence, whole-keyspace or whole-server operations, other clients,
 * modules and functions (Lua that no allowlist has seen).
 */
export const NEVER_ALLOWED: ReadonlySet<string> = new Set([
  "FLUSHALL",
  "FLUSHDB",
  "CONFIG",
  "ACL",
  "AUTH",
  "HELLO",
  "REPLICAOF",
  "SLAVEOF",
  "SYNC",
  "PSYNC",
  "REPLCONF",
  "FAILOVER",
  "SAVE",
  "BGSAVE",
  "BGREWRITEAOF",
  "LASTSAVE",
  "SHUTDOWN",
  "SWAPDB",
  "SELECT",
  "MOVE",
  "KEYS",
  "RANDOMKEY",
  "DBSIZE",
  "CLIENT",
  "MONITOR",
  "DEBUG",
  "MODULE",
  "MIGRATE",
  "RESTORE",
  "RESTORE-ASKING",
  "DUMP",
  "CLUSTER",
  "READONLY",
  "READWRITE",
  "INFO",
  "COMMAND",
  "LATENCY",
  "MEMORY",
  "SLOWLOG",
  "LOLWUT",
  "OBJECT",
  "FUNCTION",
  "FCALL",
  "FCALL_RO",
  "PUBLISH",
  "SPUBLISH",
  "PUBSUB",
]);
/** SCRIPT subcommands a configured SCRIPT may use (LOAD only for given scripts); FLUSH and KILL never. */
const SCRIPT_SUBCOMMANDS = new Set(["LOAD", "EXISTS"]);

export const MIN_TOKEN_LENGTH = 32;
/** @upstash/redis' auto-pipelining sends at most 1000 commands per request. */
export const DEFAULT_MAX_PIPELINE = 1_000;

/** A command name fit for an error message (the client controls it). */
const shown = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);

export class CommandPolicy {
  private commands: ReadonlySet<string>;
  private scripts: ReadonlySet<string>;

  /** Throws (a programming error) when asked to allow what is never allowed. */
  constructor(commands: readonly string[], scripts: readonly string[]) {
    const names = new Set(commands.map((c) => c.toUpperCase()));
    const bad = [...names].filter((c) => NEVER_ALLOWED.has(c));
    if (bad.length) throw new Error(`the Upstash endpoint never allows ${bad.join(", ")}`);
    this.commands = names;
    this.scripts = new Set(scripts.map(sha1Hex));
  }

  /** Why `args` is refused, or undefined when it may run. */
  refusal(args: string[]): string | undefined {
    const name = args[0].toUpperCase();
    const sub = (args[1] ?? "").toUpperCase();
    const scripts = this.scripts;
    if (NEVER_ALLOWED.has(name)) return `ERR ${name === "CLIENT" || name === "CONFIG" || name === "ACL" ? `${name} ${sub}`.trim() : name} is not allowed on this endpoint`;
    if (!this.commands.has(name)) return `ERR command ${shown(args[0])} is not allowed on this endpoint`;
    if (name === "EVAL" || name === "EVAL_RO") {
      const sha = args.length > 1 ? sha1Hex(args[1]) : "";
      if (!scripts.has(sha)) return `ERR this script is not allowed on this endpoint (SHA-1 ${sha || "none"}); it runs only the scripts it was given`;
    }
    // NOSCRIPT, so a client that falls back to EVAL sends the text, which is then checked as above.
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && !scripts.has((args[1] ?? "").toLowerCase())) {
      return "NOSCRIPT No matching script: this endpoint runs only the scripts it was given";
    }
    if (name === "SCRIPT") {
      if (!SCRIPT_SUBCOMMANDS.has(sub)) return `ERR SCRIPT ${shown(sub).slice(1, -1)} is not allowed on this endpoint`;
      if (sub === "LOAD" && !scripts.has(sha1Hex(args[2] ?? ""))) return "ERR this script is not allowed on this endpoint; it runs only the scripts it was given";
    }
    return undefined;
  }
}

// These change the state of the one connection every request shares, so they are refused.
const REFUSED = new Map<string, string>([
  ...["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"].map((c) => [c, `ERR ${c} is not supported on this endpoint; send the commands to /multi-exec`] as [string, string]),
  ...["SELECT", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "QUIT", "RESET", "HELLO", "AUTH", "SYNC", "PSYNC"].map(
    (c) => [c, `ERR ${c} is not supported on this endpoint`] as [string, string],
  ),
]);
const REFUSED_CLIENT_SUBCOMMANDS = new Set(["REPLY", "TRACKING", "CACHING", "NO-EVICT", "NO-TOUCH"]);
const BLOCKING = new Set(["BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF"]);

function isBlocking(name: string, args: string[]): boolean {
  if (BLOCKING.has(name)) return true;
  if (name !== "XREAD" && name !== "XREADGROUP") return false;
  for (const a of args.slice(1)) {
    const u = a.toUpperCase();
    if (u === "STREAMS") return false;
    if (u === "BLOCK") return true;
  }
  return false;
}

export interface Prepared {
  args: string[];
  /** Set when the command is refused before reaching Redis. */
  refused?: string;
  /** Runs a command that would block the shared connection on a connection of its own. */
  blocking: boolean;
  /** Adjusts the reply (SCRIPT LOAD answers with the client's SHA). */
  after?: (r: Reply) => Reply;
}

const utf8 = new TextEncoder();

/** Refuses what the policy or the shared connection does not allow; rewrites scripts and script SHAs for Redis. */
export function prepare(args: string[], scripts: ScriptShaMap, policy: CommandPolicy): Prepared {
  const name = args[0].toUpperCase();
  const sub = (args[1] ?? "").toUpperCase();
  const refused =
    REFUSED.get(name) ?? (name === "CLIENT" && REFUSED_CLIENT_SUBCOMMANDS.has(sub) ? `ERR CLIENT ${sub} is not supported on this endpoint` : undefined) ?? policy.refusal(args);
  if (refused) return { args, refused, blocking: false };
  const out = [...args];
  let after: Prepared["after"];
  if ((name === "EVAL" || name === "EVAL_RO") && out.length > 1) {
    out[1] = scripts.rewrite(out[1]).script;
  } else if ((name === "EVALSHA" || name === "EVALSHA_RO") && out.length > 1) {
    out[1] = scripts.translate(out[1]);
  } else if (name === "SCRIPT" && sub === "LOAD" && out.length === 3) {
    const { script, clientSha } = scripts.rewrite(out[2]);
    out[2] = script;
    if (clientSha) after = (r) => (r instanceof Uint8Array ? utf8.encode(clientSha) : r);
  } else if (name === "SCRIPT" && sub === "EXISTS") {
    for (let i = 2; i < out.length; i++) out[i] = scripts.translate(out[i]);
  }
  return { args: out, blocking: isBlocking(name, out), after };
}
