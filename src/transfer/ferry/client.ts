/**
 * HTTP client for a network's courier endpoints (docs/architecture.md, "The HTTP surface",
 * /v1/transfer/*). Runtime-neutral: fetch, Web streams, WebCrypto.
 *
 * - Every attempt has a timeout; network errors, timeouts, 408/429 and 5xx (but 501/505) are
 *   retried a bounded number of times with exponential backoff and jitter (and Retry-After). Other
 *   4xx answers are final: repeating a refused request cannot help; the one exception is the
 *   inbox's 409 "an import is running, upload again shortly". Both GETs and the inbox upload are safe to
 *   repeat: an import is idempotent (a second upload is a "replay").
 * - Redirects are refused, so the bearer token is only ever sent to the URL the courier typed.
 * - The token goes into the Authorization header and nowhere else: no message, error or summary
 *   this module produces contains it.
 * - A download is refused unless its bytes match the SHA-256 in the listing AND the Digest header
 *   (and the ETag when it is a SHA-256), and its size the listed size.
 */
import { concatBytes } from "../../lib/bytes.ts";
import { sha256Hex } from "../batch/hash.ts";

export interface Endpoint {
  /** Base URL of the network, e.g. https://airlock.example.org (a path prefix is allowed). */
  url: string;
  /** Courier token, or an access token of an admin/courier user. */
  token: string;
}

export interface RetryPolicy {
  /** Total attempts, including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryInfo {
  what: string;
  attempt: number;
  attempts: number;
  delayMs: number;
  error: FerryError;
}

export interface ClientOptions {
  /** Per attempt, including reading the body. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Cancels everything (not retried). */
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  fetch?: typeof fetch;
  /** Refuse a listing's item or an upload bigger than this (the import limit, DEFAULT_LIMITS.maxFileBytes). */
  maxFileBytes?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 };
export const DEFAULT_TIMEOUT_MS = 60_000;
/** A server asking us to come back later than this is not waited for. */
const MAX_RETRY_AFTER_MS = 60_000;
/** Error bodies are read for their `code` and `detail` only. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_JSON_BYTES = 8 * 1024 * 1024;
const MAX_PAGES = 10_000;

export type FerryErrorKind = "http" | "network" | "timeout" | "protocol" | "integrity" | "aborted";

/** Every failure of a courier operation. `message` is safe to show: it never contains a token. */
export class FerryError extends Error {
  readonly kind: FerryErrorKind;
  readonly status?: number;
  /** The problem's `code` (RFC 9457 extension of this API), or a ferry code like "digest_mismatch". */
  readonly code?: string;
  readonly detail?: string;
  readonly retryable: boolean;
  /** From Retry-After, when the server gave one. */
  readonly retryAfterMs?: number;

  constructor(kind: FerryErrorKind, message: string, extra: { status?: number; code?: string; detail?: string; retryable?: boolean; retryAfterMs?: number } = {}) {
    super(message);
    this.name = "FerryError";
    this.kind = kind;
    this.status = extra.status;
    this.code = extra.code;
    this.detail = extra.detail;
    this.retryable = extra.retryable ?? false;
    this.retryAfterMs = extra.retryAfterMs;
  }

  toJSON(): FerryErrorInfo {
    return { kind: this.kind, message: this.message, ...(this.status !== undefined && { status: this.status }), ...(this.code !== undefined && { code: this.code }), ...(this.detail !== undefined && { detail: this.detail }) };
  }
}

export interface FerryErrorInfo {
  kind: FerryErrorKind;
  message: string;
  status?: number;
  code?: string;
  detail?: string;
}

export function errorInfo(e: unknown): FerryErrorInfo {
  if (e instanceof FerryError) return e.toJSON();
  return { kind: "protocol", message: e instanceof Error ? e.message : String(e) };
}

/** Parses and checks a network's base URL: http(s) only, no credentials, no query or fragment. Throws Error with a clear message. */
export function normalizeBaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(input)} (expected e.g. http://127.0.0.1:8787)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`unsupported URL scheme ${url.protocol} (expected http: or https:)`);
  if (url.username || url.password) throw new Error("the URL must not contain credentials; pass the token with --token or the environment");
  if (url.search || url.hash) throw new Error(`the URL must be the network's base URL, without a query or fragment`);
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** True for http:// to anything but a loopback address: the token would cross the wire in clear text. */
export function isCleartextRemote(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  if (url.protocol !== "http:") return false;
  const h = url.hostname.replace(/^\[|\]$/g, "");
  return !(h === "localhost" || h.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::1");
}

export interface OutboxItem {
  id: string;
  sequence: number;
  file_name: string;
  records: number;
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
  created_at?: string;
  expires_at?: string;
  acknowledged: boolean;
  acknowledged_at?: string | null;
}

export type InboxOutcome = "applied" | "replay" | "held" | "quarantined";
export const INBOX_OUTCOMES: readonly InboxOutcome[] = ["applied", "replay", "held", "quarantined"];

export interface InboxResult {
  id: string | null;
  sequence: number | null;
  outcome: InboxOutcome;
  reason?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

interface Attempt<T> {
  method: "GET" | "POST";
  path: string;
  what: string;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  /** 4xx statuses that are transient for this request (besides 408 and 429). */
  retryStatuses?: number[];
  /** Reads the successful response; runs inside the attempt, so a body cut short is retried too. */
  read: (res: Response) => Promise<T>;
}

export class TransferClient {
  readonly baseUrl: string;
  readonly maxFileBytes: number;
  private readonly token: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;

  constructor(endpoint: Endpoint, private readonly options: ClientOptions = {}) {
    this.baseUrl = normalizeBaseUrl(endpoint.url);
    if (!endpoint.token) throw new Error("a token is required");
    if (/[\s]/.test(endpoint.token)) throw new Error("the token contains whitespace (copied with a line break?)");
    this.token = endpoint.token;
    this.fetchFn = options.fetch ?? ((...a) => fetch(...a));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxFileBytes = options.maxFileBytes ?? 16 * 1024 * 1024;
  }

  /** Every batch the network exported and (unless includeAcknowledged) the other side has not acknowledged yet, in sequence order. */
  async listOutbox(opts: { includeAcknowledged?: boolean } = {}): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    const seen = new Set<string>();
    let cursor: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = new URLSearchParams();
      if (opts.includeAcknowledged) q.set("include_acknowledged", "true");
      if (cursor) q.set("cursor", cursor);
      const qs = q.toString();
      const body = await this.send({ method: "GET", path: `/v1/transfer/outbox${qs ? `?${qs}` : ""}`, what: "list the outbox", read: (res) => readJson(res) });
      if (!isObject(body) || !Array.isArray(body.items)) throw new FerryError("protocol", "the outbox listing is not { items: [...] }");
      for (const raw of body.items) items.push(parseOutboxItem(raw));
      const next = body.next_cursor;
      if (next === null || next === undefined || next === "") return items.sort((a, b) => a.sequence - b.sequence);
      if (typeof next !== "string") throw new FerryError("protocol", "the outbox listing's next_cursor is not a string");
      if (seen.has(next)) throw new FerryError("protocol", "the outbox listing repeats a cursor (pagination loop)");
      seen.add(next);
      cursor = next;
    }
    throw new FerryError("protocol", `the outbox listing has more than ${MAX_PAGES} pages`);
  }

  /** Downloads one listed batch; resolves only with bytes whose size and SHA-256 match the listing and the response's digest headers. */
  async download(item: OutboxItem): Promise<Uint8Array> {
    if (item.bytes > this.maxFileBytes) {
      throw new FerryError("integrity", `listed at ${item.bytes} bytes, over the ${this.maxFileBytes}-byte batch limit`, { code: "too_large" });
    }
    return this.send({
      method: "GET",
      path: `/v1/transfer/outbox/${encodeURIComponent(item.id)}`,
      what: `download batch ${item.id}`,
      headers: { accept: "application/octet-stream", "accept-encoding": "identity" },
      read: async (res) => {
        const encoding = res.headers.get("content-encoding");
        if (encoding && encoding.toLowerCase() !== "identity") throw new FerryError("protocol", `the download is content-encoded (${encoding}); the ferry asked for identity`);
        const declared = res.headers.get("content-length");
        if (declared !== null && Number(declared) !== item.bytes) {
          throw new FerryError("integrity", `the server sends ${declared} bytes, the listing says ${item.bytes}`, { code: "size_mismatch" });
        }
        const bytes = await readCapped(res, item.bytes, () => new FerryError("integrity", `the server sends more than the ${item.bytes} listed bytes`, { code: "size_mismatch" }));
        if (bytes.length !== item.bytes) throw new FerryError("integrity", `received ${bytes.length} bytes, the listing says ${item.bytes} (truncated?)`, { code: "size_mismatch" });
        await checkDigests(bytes, item, res.headers);
        return bytes;
      },
    });
  }

  /** Uploads one batch file to the inbox; resolves with the destination's verdict. */
  async upload(bytes: Uint8Array, label = "batch"): Promise<InboxResult> {
    if (bytes.length > this.maxFileBytes) throw new FerryError("integrity", `the file is ${bytes.length} bytes, over the ${this.maxFileBytes}-byte batch limit`, { code: "too_large" });
    const digest = await sha256Bytes(bytes);
    return this.send({
      method: "POST",
      path: "/v1/transfer/inbox",
      what: `upload ${label}`,
      body: bytes,
      headers: {
        "content-type": "application/octet-stream",
        digest: `sha-256=${toBase64(digest)}`,
        accept: "application/json",
        // For the destination's records only; the batch is identified by its signed manifest.
        ...(/^[A-Za-z0-9._-]{1,128}$/.test(label) && { "x-airlock-file-name": label }),
      },
      // The inbox answers 409 while another import holds the importer ("upload again shortly");
      // an upload is idempotent, so that one conflict is worth retrying.
      retryStatuses: [409],
      read: async (res) => parseInboxResult(await readJson(res)),
    });
  }

  /** `GET /v1/transfer/status`, as the network answers it. */
  async status(): Promise<unknown> {
    return this.send({ method: "GET", path: "/v1/transfer/status", what: "read the transfer status", read: (res) => readJson(res) });
  }

  /** `POST /v1/transfer/export`: export now (with `resend`, again the unacknowledged batches). */
  async triggerExport(opts: { resend?: boolean } = {}): Promise<unknown> {
    return this.send({
      method: "POST",
      path: "/v1/transfer/export",
      what: "trigger an export",
      body: JSON.stringify({ resend: opts.resend ?? false }),
      headers: { "content-type": "application/json" },
      read: (res) => readJson(res),
    });
  }

  private async send<T>(a: Attempt<T>): Promise<T> {
    const url = `${this.baseUrl}${a.path}`;
    const where = `${a.method} ${redactUrl(url)}`;
    for (let attempt = 1; ; attempt++) {
      let error: FerryError;
      try {
        return await this.once(a, url, where);
      } catch (e) {
        error = e instanceof FerryError ? e : new FerryError("network", `${where}: ${describeThrown(e)}`, { retryable: true });
      }
      if (!error.retryable || attempt >= this.retry.attempts || this.options.signal?.aborted) throw error;
      const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.max(Math.round(backoff / 2 + (Math.random() * backoff) / 2), error.retryAfterMs ?? 0);
      this.options.onRetry?.({ what: a.what, attempt, attempts: this.retry.attempts, delayMs, error });
      try {
        await sleep(delayMs, this.options.signal);
      } catch {
        throw new FerryError("aborted", `${where}: cancelled`);
      }
    }
  }

  private async once<T>(a: Attempt<T>, url: string, where: string): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    const aborted = (e: unknown): FerryError | null => {
      if (this.options.signal?.aborted) return new FerryError("aborted", `${where}: cancelled`);
      if (timeout.aborted) return new FerryError("timeout", `${where}: no complete answer within ${Math.round(this.timeoutMs / 100) / 10} s`, { retryable: true });
      return e instanceof FerryError ? e : null;
    };
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method: a.method,
        headers: { ...a.headers, authorization: `Bearer ${this.token}` },
        body: a.body as BodyInit | undefined,
        redirect: "manual",
        signal,
      });
    } catch (e) {
      throw aborted(e) ?? new FerryError("network", `${where}: ${describeThrown(e)}`, { retryable: true });
    }
    try {
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.get("location");
        throw new FerryError("http", `${where}: HTTP ${res.status} redirect${location ? ` to ${redactUrl(location)}` : ""}; the ferry does not follow redirects (use the final URL)`, { status: res.status, code: "redirect" });
      }
      if (!res.ok) throw await httpError(res, where, a.retryStatuses);
      return await a.read(res);
    } catch (e) {
      await res.body?.cancel().catch(() => {});
      throw aborted(e) ?? new FerryError("network", `${where}: reading the answer failed: ${describeThrown(e)}`, { retryable: true });
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function parseOutboxItem(raw: unknown): OutboxItem {
  const bad = (why: string) => new FerryError("protocol", `the outbox listing has an invalid item: ${why}`);
  if (!isObject(raw)) throw bad("not an object");
  const id = typeof raw.id === "number" ? String(raw.id) : raw.id;
  if (typeof id !== "string" || id === "") throw bad("id is missing");
  const { sequence, bytes, records, file_name: fileName, sha256 } = raw;
  if (typeof sequence !== "number" || !Number.isSafeInteger(sequence) || sequence < 1) throw bad(`${id}: sequence is not a positive integer`);
  if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) throw bad(`${id}: bytes is not a size`);
  if (typeof fileName !== "string" || fileName === "") throw bad(`${id}: file_name is missing`);
  if (typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256)) throw bad(`${id}: sha256 is not 64 hex characters`);
  return {
    id,
    sequence,
    file_name: fileName,
    records: typeof records === "number" ? records : 0,
    bytes,
    sha256: sha256.toLowerCase(),
    created_at: typeof raw.created_at === "string" ? raw.created_at : undefined,
    expires_at: typeof raw.expires_at === "string" ? raw.expires_at : undefined,
    acknowledged: raw.acknowledged === true,
    acknowledged_at: typeof raw.acknowledged_at === "string" ? raw.acknowledged_at : null,
  };
}

function parseInboxResult(body: unknown): InboxResult {
  if (!isObject(body)) throw new FerryError("protocol", "the inbox answer is not a JSON object");
  const outcome = body.outcome;
  if (typeof outcome !== "string" || !(INBOX_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new FerryError("protocol", `the inbox answer has no known outcome (got ${JSON.stringify(outcome)})`);
  }
  return {
    id: typeof body.id === "string" || typeof body.id === "number" ? String(body.id) : null,
    sequence: typeof body.sequence === "number" ? body.sequence : null,
    outcome: outcome as InboxOutcome,
    ...(typeof body.reason === "string" && { reason: body.reason }),
  };
}

async function readJson(res: Response): Promise<unknown> {
  const bytes = await readCapped(res, MAX_JSON_BYTES, () => new FerryError("protocol", `the JSON answer is larger than ${MAX_JSON_BYTES} bytes`));
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new FerryError("protocol", `the answer is not JSON (content-type ${res.headers.get("content-type") ?? "none"})`, { status: res.status });
  }
}

/** Reads a body, failing as soon as it passes `max` bytes (never buffers more than max + one chunk). */
async function readCapped(res: Response, max: number, tooBig: () => FerryError): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}

async function httpError(res: Response, where: string, retryStatuses: number[] = []): Promise<FerryError> {
  let code: string | undefined;
  let detail: string | undefined;
  let text = "";
  try {
    const bytes = await readCapped(res, MAX_ERROR_BODY_BYTES, () => new FerryError("protocol", "error body too large"));
    text = new TextDecoder().decode(bytes);
    const type = res.headers.get("content-type") ?? "";
    if (/json/i.test(type)) {
      const p: unknown = JSON.parse(text);
      if (isObject(p)) {
        code = typeof p.code === "string" ? p.code : undefined;
        detail = typeof p.detail === "string" ? p.detail : typeof p.title === "string" ? p.title : undefined;
      }
    }
  } catch {
    // An unreadable error body still leaves the status.
  }
  if (detail === undefined && text && !code) detail = text.replace(/\s+/g, " ").trim().slice(0, 200) || undefined;
  const status = res.status;
  const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
  const transient = status === 408 || status === 429 || retryStatuses.includes(status) || (status >= 500 && status !== 501 && status !== 505);
  const retryable = transient && (retryAfterMs === undefined || retryAfterMs <= MAX_RETRY_AFTER_MS);
  const message = `${where}: HTTP ${status}${code ? ` ${code}` : ""}${detail ? `: ${detail}` : ""}`;
  return new FerryError("http", message, { status, code, detail, retryable, retryAfterMs });
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Checks the bytes against the listing's sha256, the Digest (or Repr-/Content-Digest) header (required) and a SHA-256 ETag. */
async function checkDigests(bytes: Uint8Array, item: OutboxItem, headers: Headers): Promise<void> {
  const raw = await sha256Bytes(bytes);
  const hex = toHexString(raw);
  const b64 = toBase64(raw);
  const mismatch = (what: string, claimed: string) =>
    new FerryError("integrity", `the downloaded bytes' SHA-256 is ${hex}, but ${what} says ${claimed}`, { code: "digest_mismatch" });
  if (hex !== item.sha256) throw mismatch("the outbox listing", item.sha256);

  const claims: Array<{ header: string; value: string }> = [];
  const legacy = headers.get("digest");
  if (legacy) {
    for (const part of legacy.split(",")) {
      const m = /^\s*sha-256\s*=\s*(\S+?)\s*$/i.exec(part);
      if (m) claims.push({ header: "Digest", value: m[1] });
    }
  }
  for (const name of ["repr-digest", "content-digest"]) {
    const v = headers.get(name);
    if (!v) continue;
    for (const part of v.split(",")) {
      const m = /^\s*sha-256\s*=\s*:([^:]*):\s*$/i.exec(part);
      if (m) claims.push({ header: name === "repr-digest" ? "Repr-Digest" : "Content-Digest", value: m[1] });
    }
  }
  if (claims.length === 0) throw new FerryError("integrity", "the download has no Digest: sha-256=… header to check it against", { code: "missing_digest" });
  for (const c of claims) if (normalizeB64(c.value) !== normalizeB64(b64)) throw mismatch(`the ${c.header} header`, c.value);

  const etag = headers.get("etag");
  const m = etag ? /^(?:W\/)?"?([0-9a-fA-F]{64})"?$/.exec(etag.trim()) : null;
  if (m && m[1].toLowerCase() !== hex) throw mismatch("the ETag", m[1]);

  const seq = headers.get("x-airlock-batch-sequence");
  if (seq !== null && Number(seq) !== item.sequence) {
    throw new FerryError("integrity", `the download is sequence ${seq}, the listing says ${item.sequence}`, { code: "sequence_mismatch" });
  }
}

const normalizeB64 = (s: string) => s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");

async function sha256Bytes(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

function toHexString(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** SHA-256 hex of a file, as listed by an outbox. */
export const fileSha256 = (bytes: Uint8Array) => sha256Hex(bytes);

/** A URL for messages: never with userinfo or a query string (a token could hide there). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    const q = u.search ? "?…" : "";
    u.search = "";
    return `${u.toString()}${q}`;
  } catch {
    return "(invalid URL)";
  }
}

function describeThrown(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const c = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
  return c && !e.message.includes(c) ? `${e.message} (${c})` : e.message;
}
