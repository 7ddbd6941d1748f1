import { Redis, type Requester, type UpstashRequest, type UpstashResponse } from "@upstash/redis";

/**
 * How the Upstash client reaches the REST API: one POST of a JSON body. Rejects on a network error
 * and when `signal` aborts. The default is `fetch`; the Node runtime hands in a keep-alive
 * node:http agent (src/runtime/node/upstash-http.ts), since Node's fetch costs several times the
 * CPU per call, and a cached read makes two calls.
 */
export type UpstashPost = (url: string, headers: Record<string, string>, body: string, signal: AbortSignal) => Promise<{ status: number; text: string }>;

export interface UpstashTransport {
  post: UpstashPost;
  /**
   * When queued commands leave. Default: once the current job's microtasks have run, so commands
   * issued together (`Promise.all`) share a request; never across requests (on workerd a request's
   * I/O must not serve another). Node and Deno pass the end of the event-loop turn (setImmediate),
   * so concurrent requests' commands share one as well.
   */
  defer?: (flush: () => void) => void;
}

export const fetchPost: UpstashPost = async (url, headers, body, signal) => {
  const res = await fetch(url, { method: "POST", headers, body, signal });
  return { status: res.status, text: await res.text() };
};

const afterMicrotasks = (flush: () => void) => {
  // Two hops, as @upstash/redis' own auto-pipelining waits: a command issued one `await` later still joins.
  void Promise.resolve()
    .then(() => undefined)
    .then(flush);
};

/** Most commands and bytes in one request (@upstash/redis' own pipelines stop at 1000 commands). */
const MAX_BATCH_COMMANDS = 1000;
const MAX_BATCH_BYTES = 1 << 20;

interface Queued {
  commands: unknown[];
  /** A single command (resolves to its `{result}`/`{error}`) or a pipeline (to the list of them). */
  single: boolean;
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * The Requester @upstash/redis sends every command through. Single commands and pipelines
 * issued in one turn travel together as one `/pipeline` request (read and write alike: the
 * library's own auto-pipelining sends reads and writes apart, two requests for a cached read and
 * its counter). Each command still gets its own result or error. MULTI/EXEC goes alone, as sent.
 * No retries; every request is bounded by `timeoutMs`. Replies are plain JSON (no base64): the
 * cache and the limiter store only UTF-8 text and numbers.
 */
export class BatchingRequester implements Requester {
  readYourWrites = false;
  upstashSyncToken = "";
  private queue: Queued[] = [];
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(
    opts: { url: string; token: string },
    private readonly timeoutMs: number,
    private readonly transport: UpstashTransport = { post: fetchPost },
  ) {
    this.base = opts.url.replace(/\/+$/, "");
    this.headers = { authorization: `Bearer ${opts.token}`, "content-type": "application/json" };
  }

  request<TResult = unknown>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const path = (req.path ?? []).join("/");
    if (path === "multi-exec" && !req.isStreaming) return this.send(path, JSON.stringify(req.body)) as Promise<UpstashResponse<TResult>>;
    if (req.isStreaming || (path !== "" && path !== "pipeline")) return Promise.reject(new Error(`this Upstash client does not send ${path || "subscriptions"}`));
    const single = path === "";
    return new Promise((resolve, reject) => {
      if (!this.queue.length) (this.transport.defer ?? afterMicrotasks)(() => this.flush());
      this.queue.push({ commands: single ? [req.body] : (req.body as unknown[]), single, resolve: resolve as (r: unknown) => void, reject });
    });
  }

  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    let batch: Queued[] = [];
    let parts: string[] = [];
    let commands = 0;
    let bytes = 0;
    for (const q of queue) {
      const part = JSON.stringify(q.commands).slice(1, -1); // serialised once: "[...],[...]"
      if (batch.length && (commands + q.commands.length > MAX_BATCH_COMMANDS || bytes + part.length > MAX_BATCH_BYTES)) {
        void this.sendBatch(batch, commands, parts);
        [batch, parts, commands, bytes] = [[], [], 0, 0];
      }
      batch.push(q);
      parts.push(part);
      commands += q.commands.length;
      bytes += part.length;
    }
    if (batch.length) void this.sendBatch(batch, commands, parts);
  }

  private async sendBatch(batch: Queued[], commands: number, parts: string[]): Promise<void> {
    try {
      const replies = await this.send("pipeline", `[${parts.join(",")}]`);
      if (!Array.isArray(replies) || replies.length !== commands) throw new Error(`the pipeline's reply is not a list of ${commands} results`);
      let i = 0;
      for (const q of batch) {
        const mine = replies.slice(i, i + q.commands.length) as UpstashResponse<unknown>[];
        i += q.commands.length;
        q.resolve(q.single ? mine[0] : mine);
      }
    } catch (e) {
      for (const q of batch) q.reject(e);
    }
  }

  /** One POST within the bound; a non-2xx answer throws its `error` (401, 413, 503 from the endpoint). */
  private async send(path: string, body: string): Promise<unknown> {
    // A timer cleared on the answer, not AbortSignal.timeout: that one fires (and builds an exception) after every request.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, "TimeoutError")), this.timeoutMs);
    let reply: { status: number; text: string };
    try {
      reply = await this.transport.post(`${this.base}/${path}`, this.headers, body, abort.signal);
    } finally {
      clearTimeout(timer);
    }
    const { status, text } = reply;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`Upstash answered ${status} with a body that is not JSON`);
    }
    if (status < 200 || status > 299) {
      const error = (parsed as { error?: unknown } | null)?.error;
      throw new Error(typeof error === "string" ? error.slice(0, 300) : `Upstash answered ${status}`);
    }
    return parsed;
  }
}

/** Redis whose commands go through our Requester; its other settings are the library's own. */
class BatchingRedis extends Redis {
  constructor(opts: { url: string; token: string }, requester: Requester) {
    super({ url: opts.url, token: opts.token, automaticDeserialization: false, enableAutoPipelining: false, readYourWrites: false, enableTelemetry: false });
    this.client = requester;
  }
}

/**
 * The one place an Upstash client is made (cache and rate limiter share the settings): no
 * automatic JSON, no retries, every request bounded by `timeoutMs`, and commands issued together
 * sent together (BatchingRequester).
 */
export function upstashClient(opts: { url: string; token: string }, timeoutMs: number, transport?: UpstashTransport): Redis {
  return new BatchingRedis(opts, new BatchingRequester(opts, timeoutMs, transport));
}
