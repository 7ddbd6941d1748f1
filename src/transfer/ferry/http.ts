// The courier's HTTP: one request with a timeout per attempt, bounded retries with backoff, jitter
// and Retry-After, no redirects, bodies read with a cap, error answers turned into FerryErrors;
// and the checks and redaction of the URLs a courier types.
import { concatBytes } from "../../lib/bytes.ts";
import { describeThrown, FerryError } from "./errors.ts";
import { isObject } from "./wire.ts";

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

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 };
export const DEFAULT_TIMEOUT_MS = 60_000;
/** A server asking us to come back later than this is not waited for. */
const MAX_RETRY_AFTER_MS = 60_000;
/** Error bodies are read for their `code` and `detail` only. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_JSON_BYTES = 8 * 1024 * 1024;

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

export interface Attempt<T> {
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

/** What one client's requests share: where, with which token, and how patiently. */
export interface HttpSettings {
  baseUrl: string;
  /** Sent in the Authorization header, nowhere else. */
  token: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Cancels everything (not retried). */
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
}

/** One request, with a timeout per attempt and bounded retries (see client.ts); resolves with what `a.read` made of the answer. */
export async function send<T>(http: HttpSettings, a: Attempt<T>): Promise<T> {
  const url = `${http.baseUrl}${a.path}`;
  const where = `${a.method} ${redactUrl(url)}`;
  for (let attempt = 1; ; attempt++) {
    let error: FerryError;
    try {
      return await once(http, a, url, where);
    } catch (e) {
      error = e instanceof FerryError ? e : new FerryError("network", `${where}: ${describeThrown(e)}`, { retryable: true });
    }
    if (!error.retryable || attempt >= http.retry.attempts || http.signal?.aborted) throw error;
    const backoff = Math.min(http.retry.maxDelayMs, http.retry.baseDelayMs * 2 ** (attempt - 1));
    const delayMs = Math.max(Math.round(backoff / 2 + (Math.random() * backoff) / 2), error.retryAfterMs ?? 0);
    http.onRetry?.({ what: a.what, attempt, attempts: http.retry.attempts, delayMs, error });
    try {
      await sleep(delayMs, http.signal);
    } catch {
      throw new FerryError("aborted", `${where}: cancelled`);
    }
  }
}

async function once<T>(http: HttpSettings, a: Attempt<T>, url: string, where: string): Promise<T> {
  const timeout = AbortSignal.timeout(http.timeoutMs);
  const signal = http.signal ? AbortSignal.any([http.signal, timeout]) : timeout;
  const aborted = (e: unknown): FerryError | null => {
    if (http.signal?.aborted) return new FerryError("aborted", `${where}: cancelled`);
    if (timeout.aborted) return new FerryError("timeout", `${where}: no complete answer within ${Math.round(http.timeoutMs / 100) / 10} s`, { retryable: true });
    return e instanceof FerryError ? e : null;
  };
  let res: Response;
  try {
    res = await http.fetch(url, {
      method: a.method,
      headers: { ...a.headers, authorization: `Bearer ${http.token}` },
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
      throw new FerryError(
        "http",
        `${where}: HTTP ${res.status} redirect${location ? ` to ${redactUrl(location)}` : ""}; the ferry does not follow redirects (use the final URL)`,
        { status: res.status, code: "redirect" },
      );
    }
    if (!res.ok) throw await httpError(res, where, a.retryStatuses);
    return await a.read(res);
  } catch (e) {
    await res.body?.cancel().catch(() => {});
    throw aborted(e) ?? new FerryError("network", `${where}: reading the answer failed: ${describeThrown(e)}`, { retryable: true });
  }
}

export async function readJson(res: Response): Promise<unknown> {
  const bytes = await readCapped(res, MAX_JSON_BYTES, () => new FerryError("protocol", `the JSON answer is larger than ${MAX_JSON_BYTES} bytes`));
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new FerryError("protocol", `the answer is not JSON (content-type ${res.headers.get("content-type") ?? "none"})`, { status: res.status });
  }
}

/** Reads a body, failing as soon as it passes `max` bytes (never buffers more than max + one chunk). */
export async function readCapped(res: Response, max: number, tooBig: () => FerryError): Promise<Uint8Array> {
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
