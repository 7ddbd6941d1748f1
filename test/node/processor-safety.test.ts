// The processor against hostile answers from real HTTP servers on 127.0.0.1: a 1 GB answer
// (streamed, with backpressure), redirects that would re-send the request body to a second
// server, and Content-Types that are not media types.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { requests, responses } from "../../schema/index.ts";
import { runProcessor } from "../../src/requests/processor.ts";
import { parseMediaType } from "../../src/requests/responses.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;
let handler: Handler = (_req, res) => res.end();
const elsewhere: Array<{ method?: string; url?: string; body: string }> = [];
let processor: Server;
let other: Server;
let url: string;
let otherUrl: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  processor = createServer((req, res) => {
    req.resume();
    req.on("end", () => void handler(req, res));
  });
  other = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      elsewhere.push({ method: req.method, url: req.url, body });
      res.writeHead(200, { "content-type": "application/json" }).end('{"stolen":true}');
    });
  });
  url = `${await listen(processor)}/answer`;
  otherUrl = await listen(other);
});
afterAll(async () => {
  for (const s of [processor, other]) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const MAX = 1024 * 1024;
async function setup() {
  const s = await nodeServices({ NETWORK_ROLE: "response", AIRLOCK_PROCESSOR_URL: url, AIRLOCK_PROCESSOR_TIMEOUT_MS: "20000", AIRLOCK_MAX_BODY_BYTES: String(MAX) });
  const row = async (id: string) => (await s.db.orm.select().from(requests).where(eq(requests.id, id)).get())!;
  const response = async (id: string) => s.db.orm.select().from(responses).where(eq(responses.requestId, id)).get();
  return { s, row, response };
}

const GIB = 1024 ** 3;
const CHUNK = Buffer.alloc(64 * 1024, "a");

/** Streams `total` bytes with backpressure; resolves with how many were written before the client went away. */
function stream(res: ServerResponse, total: number, headers: Record<string, string | number>): Promise<{ written: number; finished: boolean }> {
  return new Promise((resolve) => {
    let written = 0;
    res.writeHead(200, headers);
    res.on("close", () => resolve({ written, finished: res.writableFinished }));
    const pump = () => {
      while (written < total && !res.destroyed) {
        written += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once("drain", pump);
      }
      if (written >= total) res.end();
    };
    pump();
  });
}

describe("the processor reads answers as a bounded stream", () => {
  for (const declared of [false, true]) {
    it(`a 1 GB answer${declared ? " (with its Content-Length)" : " (chunked)"} is given up just past the cap; memory stays small`, async () => {
      const { s, row, response } = await setup();
      const r = await seedRequest(s, "usr_big");
      let served!: Promise<{ written: number; finished: boolean }>;
      handler = (_req, res) => (served = stream(res, GIB, { "content-type": "text/plain", ...(declared ? { "content-length": GIB } : {}) }));
      let peak = 0;
      const base = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - base)), 5);
      const started = Date.now();
      const summary = await runProcessor(s);
      clearInterval(sampler);
      const { written, finished } = await served;
      expect(summary).toMatchObject({ due: 1, answered: 0, failed: 1 });
      expect(await row(r.id)).toMatchObject({ status: "processing", processorAttempts: 1, processorError: `the answer exceeds ${MAX} bytes`, claimedBy: null });
      expect(await response(r.id)).toBeUndefined();
      expect(finished).toBe(false);
      // Socket buffers hold a few MiB at most; reading the whole answer would be 1024 MiB.
      expect(written).toBeLessThan(declared ? 16 * 1024 * 1024 : 64 * 1024 * 1024);
      expect(peak).toBeLessThan(128 * 1024 * 1024);
      console.log(
        `1 GB answer${declared ? " (declared)" : ""}: server wrote ${(written / 1024 / 1024).toFixed(1)} MiB, peak RSS growth ${(peak / 1024 / 1024).toFixed(1)} MiB, ${Date.now() - started} ms`,
      );
    });
  }

  it("an answer of exactly the cap is stored whole", async () => {
    const { s, response } = await setup();
    const r = await seedRequest(s, "usr_exact");
    handler = (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("b".repeat(MAX));
    expect(await runProcessor(s)).toMatchObject({ answered: 1 });
    expect((await response(r.id))!.body).toHaveLength(MAX);
  });
});

describe("the processor never follows a redirect", () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`${status} to a second server: a failure, the second server is never asked and the body goes nowhere`, async () => {
      const { s, row, response } = await setup();
      const r = await seedRequest(s, "usr_redirected");
      elsewhere.length = 0;
      handler = (_req, res) => res.writeHead(status, { location: `${otherUrl}/steal`, "content-type": "text/plain" }).end("moved");
      expect(await runProcessor(s)).toMatchObject({ due: 1, answered: 0, failed: 1 });
      expect(await row(r.id)).toMatchObject({
        processorError: `HTTP ${status}: the processor answered with a redirect to "${otherUrl}/steal"; redirects are not followed`,
        processorAttempts: 1,
      });
      expect(await response(r.id)).toBeUndefined();
      await new Promise((w) => setTimeout(w, 50)); // a follow-up request would have arrived by now
      expect(elsewhere).toEqual([]);
    });
  }
});

describe("the processor's Content-Type must be a bounded media type", () => {
  const HOSTILE = [
    `text/${"x".repeat(250)}`,
    `${"a".repeat(190)}/plain; charset=utf-8`,
    `text/plain${"; p=v".repeat(9)}`,
    "text/<script>",
    "text",
    "/plain",
    "text/plain; charset",
    'text/plain; x="unterminated',
    "text/plain;;",
    "text / plain junk",
    "téxt/plain",
    "application/json, text/html",
  ];
  it("each hostile Content-Type is a clear failure and nothing is stored", async () => {
    const { s, row, response } = await setup();
    for (const header of HOSTILE) {
      const r = await seedRequest(s, "usr_ct");
      handler = (_req, res) => {
        res.setHeader("content-type", header);
        res.writeHead(200).end('{"a":1}');
      };
      expect(await runProcessor(s), header).toMatchObject({ due: 1, failed: 1 });
      expect((await row(r.id)).processorError, header).toBe(`the answer's Content-Type is not a media type of at most 200 characters: ${JSON.stringify(header.slice(0, 80))}`);
      expect(await response(r.id), header).toBeUndefined();
      expect(parseMediaType(header), header).toBeNull();
    }
  });

  it("a valid one is normalised and stored; none at all is application/octet-stream", async () => {
    const { s, response } = await setup();
    const cases: Array<[string | null, string]> = [
      ["Text/Plain ; Charset=UTF-8", "text/plain; charset=UTF-8"],
      ['text/csv; header=present; x-note="a b"', 'text/csv; header=present; x-note="a b"'],
      ["Application/Problem+JSON; charset=utf-8", "application/problem+json"],
      [null, "application/octet-stream"],
    ];
    for (const [header, stored] of cases) {
      const r = await seedRequest(s, "usr_ok");
      handler = (_req, res) => {
        if (header) res.setHeader("content-type", header);
        else res.removeHeader("content-type");
        res.writeHead(200).end('{"a":1}');
      };
      expect(await runProcessor(s), String(header)).toMatchObject({ answered: 1 });
      expect((await response(r.id))!.contentType, String(header)).toBe(stored);
    }
    expect(parseMediaType(`text/plain; a="${"x".repeat(180)}"`)).toHaveLength(196);
  });
});
