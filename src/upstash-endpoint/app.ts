// Upstash-compatible REST endpoint in front of a real Redis, for networks that cannot
// reach Upstash's cloud. Speaks what @upstash/redis and @upstash/ratelimit send:
//   POST /            ["CMD", ...args]        -> {result} | 400 {error}
//   POST /pipeline    [[...], [...]]          -> [{result}|{error}, ...]
//   POST /multi-exec  [[...], [...]]          -> same, run inside MULTI/EXEC
// (replies.ts: the JSON encoding of replies; commands.ts: what is let through; scripts.ts: Lua
// scripts and their SHA-1s.)
//
// Nothing Node-specific is imported (node-redis' types only): the TCP connection to Redis is made
// in src/runtime/node/redis.ts and handed in. Every request is handled on the one thread: the
// token check and script SHA-1s are hashed in JavaScript, since a WebCrypto digest in Node is a
// job for another thread, and waiting for that thread to be scheduled on a busy machine cost
// whole milliseconds per request, more than Redis itself.
import { sha256 } from "@noble/hashes/sha2.js";
import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { RedisArgument, TypeMapping } from "redis";
import { AIRLOCK_COMMANDS, CommandPolicy, DEFAULT_MAX_PIPELINE, MIN_TOKEN_LENGTH, prepare, type Prepared } from "./commands.ts";
import { encodeReply, isReplyError, RESP_BLOB_STRING, type Json, type Reply } from "./replies.ts";
import { ScriptShaMap } from "./scripts.ts";

/** Options node-redis' sendCommand accepts that we use. */
export interface SendOptions {
  chainId?: symbol;
  typeMapping?: TypeMapping;
}

/** The part of a node-redis (v5, RESP 2) client the endpoint uses. */
export interface RedisConnection {
  sendCommand(args: ReadonlyArray<RedisArgument>, options?: SendOptions): Promise<unknown>;
  /** False while disconnected; blocking commands are then refused at once. */
  readonly isReady: boolean;
  /** A new connection with the same settings; used for blocking commands. */
  duplicate(): RedisConnection;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: "error", listener: (err: Error) => void): unknown;
}

export interface UpstashEndpointOptions {
  /** A connected node-redis client speaking RESP 2 (see connectRedis in src/runtime/node/redis.ts). */
  redis: RedisConnection;
  /** Bearer token clients must send (the `token` of `new Redis({ url, token })`), at least 32 characters. */
  token: string;
  /** The Lua scripts clients may run: EVAL of exactly this text, EVALSHA of its SHA-1. */
  scripts: readonly string[];
  /** Commands clients may send; default AIRLOCK_COMMANDS. Those in NEVER_ALLOWED cannot be allowed. */
  commands?: readonly string[];
  /** Most commands in one /pipeline or /multi-exec request. Default 1000 (what @upstash/redis sends at most). */
  maxPipelineLength?: number;
  /** Largest accepted request body; larger ones get 413. Default 10 MB. */
  maxBodyBytes?: number;
  /** Most blocking commands (BLPOP, XREAD BLOCK, ...) running at once, each on its own connection. Default 32. */
  maxBlockingConnections?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEDICATED_CONNECT_TIMEOUT_MS = 5_000;
const utf8 = new TextEncoder();

class RequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 503,
  ) {
    super(message);
  }
}

/** One command as JSON -> argument strings (the client sends numbers and booleans unquoted). */
function parseCommand(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new RequestError(`ERR ${where} must be a non-empty JSON array`, 400);
  return value.map((v, i) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw new RequestError(`ERR ${where}: argument ${i} must be a string, number or boolean, got ${v === null ? "null" : typeof v}`, 400);
  });
}

function parseCommandList(value: unknown, max: number): string[][] {
  if (!Array.isArray(value) || value.length === 0) throw new RequestError("ERR request body must be a non-empty JSON array of commands", 400);
  if (value.length > max) throw new RequestError(`ERR a pipeline of ${value.length} commands is more than this endpoint's limit of ${max}`, 400);
  return value.map((c, i) => parseCommand(c, `command ${i}`));
}

type Outcome = { result: Json } | { error: string };

// ---------------------------------------------------------------------------------------------
// App

/** Builds the Hono app. Mount it at the root of the URL given to `new Redis({ url, token })`. */
export function createUpstashEndpoint(opts: UpstashEndpointOptions): Hono {
  if (opts.token.length < MIN_TOKEN_LENGTH) throw new Error(`createUpstashEndpoint: the token must be at least ${MIN_TOKEN_LENGTH} characters`);
  const redis = opts.redis;
  const policy = new CommandPolicy(opts.commands ?? AIRLOCK_COMMANDS, opts.scripts);
  const maxPipeline = opts.maxPipelineLength ?? DEFAULT_MAX_PIPELINE;
  const maxBlocking = opts.maxBlockingConnections ?? 32;
  const scripts = new ScriptShaMap();
  // The allowed scripts are loaded as Redis will run them (and their SHA-1s mapped) at start, so
  // a client's first EVALSHA finds its script: no NOSCRIPT and second round trip with the script's
  // text inside the first login's bound. Best effort: a client still falls back to EVAL when Redis
  // was not there yet or has forgotten them (a restart).
  for (const text of opts.scripts) redis.sendCommand(["SCRIPT", "LOAD", scripts.rewrite(text).script]).catch(() => {});
  // Blob strings as bytes: base64 is then exact for any value, binary included.
  const typeMapping: TypeMapping = { [RESP_BLOB_STRING]: Buffer };
  const expectedTokenDigest = sha256(utf8.encode(opts.token));
  let blockingInUse = 0;

  /** Runs fn on a fresh connection, dropped when done or when the HTTP client goes away. */
  async function onOwnConnection<T>(signal: AbortSignal, fn: (conn: RedisConnection) => Promise<T>): Promise<T> {
    if (!redis.isReady) throw unavailable(new Error("not connected"));
    if (blockingInUse >= maxBlocking) throw new RequestError(`ERR too many blocking commands in progress (limit ${maxBlocking})`, 503);
    blockingInUse++;
    const conn = redis.duplicate();
    conn.on("error", () => {});
    const drop = () => conn.destroy();
    signal.addEventListener("abort", drop, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("connect timed out")), DEDICATED_CONNECT_TIMEOUT_MS);
      });
      await Promise.race([conn.connect(), timedOut]).catch((err: unknown) => {
        throw unavailable(err);
      });
      return await fn(conn);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", drop);
      blockingInUse--;
      try {
        conn.destroy();
      } catch {
        // already closed
      }
    }
  }

  /** Sends commands back to back (one write, pipelined) and collects per-command outcomes. */
  async function runPipeline(conn: RedisConnection, cmds: Prepared[], base64: boolean): Promise<Outcome[]> {
    const settled = await Promise.allSettled(cmds.map((c) => (c.refused ? Promise.reject(new RefusedCommand(c.refused)) : conn.sendCommand(c.args, { typeMapping }))));
    return settled.map((s, i) => {
      if (s.status === "fulfilled") return { result: encodeReply(applyAfter(cmds[i], s.value as Reply), base64) };
      if (s.reason instanceof RefusedCommand || isReplyError(s.reason)) return { error: (s.reason as Error).message };
      throw unavailable(s.reason);
    });
  }

  /** MULTI, commands, EXEC written as one chain so no other request's command lands in between. */
  async function runTransaction(cmds: Prepared[], base64: boolean): Promise<Outcome[]> {
    const execAbort = "EXECABORT Transaction discarded because of previous errors.";
    if (cmds.some((c) => c.refused)) return cmds.map((c) => ({ error: c.refused ?? execAbort }));
    const chainId = Symbol("multi-exec");
    const sent = [
      redis.sendCommand(["MULTI"], { chainId }),
      ...cmds.map((c) => redis.sendCommand(c.args, { chainId, typeMapping })),
      redis.sendCommand(["EXEC"], { chainId, typeMapping }),
    ];
    const settled = await Promise.allSettled(sent);
    for (const s of settled) if (s.status === "rejected" && !isReplyError(s.reason)) throw unavailable(s.reason);
    const exec = settled[settled.length - 1];
    if (exec.status === "rejected") {
      // Nothing ran (EXECABORT): name the command Redis refused while queueing, EXECABORT for the rest.
      return cmds.map((_, i) => {
        const q = settled[i + 1];
        return { error: q.status === "rejected" ? (q.reason as Error).message : (exec.reason as Error).message };
      });
    }
    const replies = exec.value as Reply[] | null;
    if (!Array.isArray(replies)) throw new RequestError("ERR transaction aborted", 400);
    return replies.map((r, i) => (r instanceof Error ? { error: r.message } : { result: encodeReply(applyAfter(cmds[i], r), base64) }));
  }

  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof RequestError) return c.json({ error: err.message }, err.status);
    return c.json({ error: "ERR internal error" }, 500);
  });
  app.notFound((c) => c.json({ error: "ERR not found: use POST /, /pipeline or /multi-exec" }, 404));

  // Auth before anything reads the body. Both sides are hashed so the comparison is constant-time
  // and does not reveal the token's length.
  app.use("*", async (c, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    const given = sha256(utf8.encode(m?.[1] ?? ""));
    const expected = expectedTokenDigest;
    let diff = m ? 0 : 1;
    for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ given[i];
    if (diff !== 0) {
      c.header("WWW-Authenticate", 'Bearer realm="upstash-endpoint"');
      return c.json({ error: "Unauthorized: missing or invalid bearer token" }, 401);
    }
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      onError: (c) => c.json({ error: `ERR request body larger than ${opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES} bytes` }, 413),
    }),
  );

  app.post("/", async (c) => {
    const cmd = prepare(parseCommand(await readJson(c), "request body"), scripts, policy);
    if (cmd.refused) return c.json({ error: cmd.refused }, 400);
    const run = (conn: RedisConnection) => runPipeline(conn, [cmd], wantsBase64(c));
    const [outcome] = cmd.blocking ? await onOwnConnection(c.req.raw.signal, run) : await run(redis);
    return "error" in outcome ? c.json(outcome, 400) : c.json(outcome);
  });

  app.post("/pipeline", async (c) => {
    const cmds = parseCommandList(await readJson(c), maxPipeline).map((a) => prepare(a, scripts, policy));
    const run = (conn: RedisConnection) => runPipeline(conn, cmds, wantsBase64(c));
    return c.json(cmds.some((x) => x.blocking) ? await onOwnConnection(c.req.raw.signal, run) : await run(redis));
  });

  app.post("/multi-exec", async (c) => {
    const cmds = parseCommandList(await readJson(c), maxPipeline).map((a) => prepare(a, scripts, policy));
    return c.json(await runTransaction(cmds, wantsBase64(c)));
  });

  return app;
}

class RefusedCommand extends Error {}

function applyAfter(cmd: Prepared, r: Reply): Reply {
  return cmd.after ? cmd.after(r) : r;
}

function unavailable(err: unknown): RequestError {
  return new RequestError(`ERR Redis unavailable: ${err instanceof Error ? err.message : String(err)}`, 503);
}

function wantsBase64(c: Context): boolean {
  return (c.req.header("upstash-encoding") ?? "").toLowerCase() === "base64";
}

async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError("ERR request body is not valid JSON", 400);
  }
}
