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
import { base64 } from "../../lib/crypto.ts";
import { FerryError } from "./errors.ts";
import { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, normalizeBaseUrl, readJson, readCapped, send, type HttpSettings, type RetryPolicy, type RetryInfo } from "./http.ts";
import { checkDigests, isObject, parseInboxResult, parseOutboxItem, sha256Bytes, type InboxResult, type OutboxItem } from "./wire.ts";

export interface Endpoint {
  /** Base URL of the network, e.g. https://airlock.example.org (a path prefix is allowed). */
  url: string;
  /** Courier token, or an access token of an admin/courier user. */
  token: string;
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

const MAX_PAGES = 10_000;

export class TransferClient {
  readonly baseUrl: string;
  readonly maxFileBytes: number;
  private readonly http: HttpSettings;

  constructor(endpoint: Endpoint, options: ClientOptions = {}) {
    this.baseUrl = normalizeBaseUrl(endpoint.url);
    if (!endpoint.token) throw new Error("a token is required");
    if (/[\s]/.test(endpoint.token)) throw new Error("the token contains whitespace (copied with a line break?)");
    this.http = {
      baseUrl: this.baseUrl,
      token: endpoint.token,
      fetch: options.fetch ?? ((...a) => fetch(...a)),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      signal: options.signal,
      onRetry: options.onRetry,
    };
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
      const body = await send(this.http, { method: "GET", path: `/v1/transfer/outbox${qs ? `?${qs}` : ""}`, what: "list the outbox", read: (res) => readJson(res) });
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
    return send(this.http, {
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
        if (bytes.length !== item.bytes)
          throw new FerryError("integrity", `received ${bytes.length} bytes, the listing says ${item.bytes} (truncated?)`, { code: "size_mismatch" });
        await checkDigests(bytes, item, res.headers);
        return bytes;
      },
    });
  }

  /** Uploads one batch file to the inbox; resolves with the destination's verdict. */
  async upload(bytes: Uint8Array, label = "batch"): Promise<InboxResult> {
    if (bytes.length > this.maxFileBytes)
      throw new FerryError("integrity", `the file is ${bytes.length} bytes, over the ${this.maxFileBytes}-byte batch limit`, { code: "too_large" });
    const digest = await sha256Bytes(bytes);
    return send(this.http, {
      method: "POST",
      path: "/v1/transfer/inbox",
      what: `upload ${label}`,
      body: bytes,
      headers: {
        "content-type": "application/octet-stream",
        digest: `sha-256=${base64(digest)}`,
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
    return send(this.http, { method: "GET", path: "/v1/transfer/status", what: "read the transfer status", read: (res) => readJson(res) });
  }

  /** `POST /v1/transfer/export`: export now (with `resend`, again the unacknowledged batches). */
  async triggerExport(opts: { resend?: boolean } = {}): Promise<unknown> {
    return send(this.http, {
      method: "POST",
      path: "/v1/transfer/export",
      what: "trigger an export",
      body: JSON.stringify({ resend: opts.resend ?? false }),
      headers: { "content-type": "application/json" },
      read: (res) => readJson(res),
    });
  }
}
