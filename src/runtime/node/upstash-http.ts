// The Upstash client's HTTP on Node (src/deps/upstash.ts): node:http or node:https with a
// keep-alive agent instead of fetch. Node's fetch (undici behind web streams) costs several times
// the CPU of a plain request per call, and the cache and the limiter call on every request.
import http from "node:http";
import https from "node:https";
import { setImmediate } from "node:timers";
import { fetchPost, type UpstashPost, type UpstashTransport } from "../../deps/upstash.ts";

/** Largest reply read into memory; a cached response is far smaller. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

// Idle sockets are closed after 4 s, before the endpoint's 5 s keep-alive timeout closes them under a request.
const agentOptions = { keepAlive: true, timeout: 4_000, scheduling: "lifo" as const };

/** Node: node:http with a keep-alive agent. Deno: its own fetch (native, and its node:http is built on it). */
export function onPremUpstashTransport(runtime: "node" | "deno"): UpstashTransport {
  // Commands from every request handled in this turn of the event loop leave together.
  const defer = (flush: () => void) => void setImmediate(flush);
  return { post: runtime === "node" ? nodePost() : fetchPost, defer };
}

function nodePost(): UpstashPost {
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const post: UpstashPost = (url, headers, body, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const secure = url.startsWith("https:");
      const payload = Buffer.from(body);
      const req = (secure ? https : http).request(
        url,
        { method: "POST", agent: secure ? agents.https : agents.http, headers: { ...headers, "content-length": String(payload.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_REPLY_BYTES) req.destroy(new Error(`Upstash reply larger than ${MAX_REPLY_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on("end", () => {
            signal.removeEventListener("abort", onAbort);
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("error", fail);
        },
      );
      function fail(e: unknown) {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      }
      function onAbort() {
        req.destroy();
        fail(signal.reason);
      }
      signal.addEventListener("abort", onAbort, { once: true });
      req.on("error", fail);
      req.end(payload);
    });
  return post;
}
