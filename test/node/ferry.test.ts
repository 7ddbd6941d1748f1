// The courier (issue 5, item 8): the ferry library, the CLI as a child process and the automatic
// ferry, against small real HTTP servers on 127.0.0.1 that implement the transfer contract
// (docs/architecture.md, "Wire shapes") with real batch files. The end-to-end run against the real
// networks lives with the transfer endpoints' tests.
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/spawn.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { decodeBatchFile } from "../../src/transfer/batch/format.ts";
import { sha256Hex, ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import { generateSigningKey, parsePeerKeys, type PeerKeySet, type SigningKeyPair } from "../../src/transfer/batch/keys.ts";
import { readManifestUnverified, verifyBatch } from "../../src/transfer/batch/read.ts";
import { buildBatch } from "../../src/transfer/batch/write.ts";
import { startAutoFerry } from "../../src/transfer/ferry/auto.ts";
import { carry, FerryError, formatBytes, pull, push, summaryLine, TransferClient, type ClientOptions } from "../../src/transfer/ferry/index.ts";
import { MemoryBatchFolder } from "../../src/transfer/ferry/folder.ts";
import { NodeBatchFolder } from "../../src/runtime/node/batch-folder.ts";

const REQUEST = "airlock-request";
const RESPONSE = "airlock-response";
const DAY = 86_400_000;
const TOKEN_A = "courier-token-of-the-request-network-0123456789";
const TOKEN_B = "courier-token-of-the-response-network-987654321";
const FAST: ClientOptions = { timeoutMs: 5_000, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } };

let keyA: SigningKeyPair; // the request network's signing key
let keyB: SigningKeyPair; // the response network's
let peersOfB: PeerKeySet; // what the response network trusts (A's public key)
let peersOfA: PeerKeySet;
let tmp: string;

beforeAll(async () => {
  [keyA, keyB] = await Promise.all([generateSigningKey(), generateSigningKey()]);
  peersOfB = await parsePeerKeys([keyA.publicJwk]);
  peersOfA = await parsePeerKeys([keyB.publicJwk]);
  tmp = await mkdtemp(join(tmpdir(), "airlock-ferry-test-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let dirCount = 0;
async function tempDir(): Promise<string> {
  const d = join(tmp, `d${++dirCount}`);
  await mkdir(d, { recursive: true });
  return d;
}

interface FakeBatch {
  id: string;
  sequence: number;
  file_name: string;
  file: Uint8Array;
  sha256: string;
  records: number;
  acknowledged: boolean;
}

/** Builds `count` chained batches from `source` to `destination`, signed with `key`. */
async function makeBatches(count: number, source: string, destination: string, key: SigningKeyPair, firstSequence = 1): Promise<FakeBatch[]> {
  const out: FakeBatch[] = [];
  let prev = firstSequence === 1 ? ZERO_HASH : "ab".repeat(32);
  for (let seq = firstSequence; seq < firstSequence + count; seq++) {
    const records = Array.from({ length: seq + 1 }, (_, i) => ({ kind: "request", id: `r${seq}-${i}`, version: 1, data: { text: `question ${seq}.${i} `.repeat(20) } }));
    const built = await buildBatch({ records, source, destination, sequence: seq, prevHash: prev, ack: 0, ttlMs: DAY, signingKey: { privateJwk: key.privateJwk, keyId: key.keyId } });
    prev = built.fileSha256;
    out.push({ id: built.manifest.batch_id, sequence: seq, file_name: `${source}-${String(seq).padStart(6, "0")}.batch`, file: built.file, sha256: built.fileSha256, records: records.length, acknowledged: false });
  }
  return out;
}

type InboxAnswer = { status: number; body: unknown } | undefined;
type Hook = (req: IncomingMessage, res: ServerResponse, n: number) => boolean | Promise<boolean>;

/** A network's transfer endpoints, as the contract describes them; faults are injected through hooks. */
class FakeNetwork {
  server!: Server;
  url = "";
  outbox: FakeBatch[] = [];
  /** Uploads in arrival order, with the destination's answer. */
  received: Array<{ sequence: number | null; name: string | undefined; outcome: string; bytes: number }> = [];
  requests: Array<{ method: string; path: string }> = [];
  lastApplied = 0;
  pageSize = 2;
  /** Download faults by batch id. */
  corrupt = new Map<string, "flip" | "bad-digest" | "no-digest" | "extra-bytes" | "reset-mid-body">();
  /** Runs first; returns true when it answered. `n` counts requests to the same method+path. */
  hook?: Hook;
  /** Overrides the inbox's answer for one upload. */
  inboxAnswer?: (sequence: number | null, bytes: Uint8Array) => InboxAnswer;
  private counts = new Map<string, number>();

  constructor(readonly network: string, readonly token: string, readonly peers: PeerKeySet) {}

  async start() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private problem(res: ServerResponse, status: number, code: string, detail: string) {
    res.writeHead(status, { "content-type": "application/problem+json" });
    res.end(JSON.stringify({ type: "about:blank", title: code, status, code, detail }));
  }

  private json(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://x");
    const key = `${req.method} ${url.pathname}`;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    this.requests.push({ method: req.method ?? "", path: url.pathname + url.search });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = new Uint8Array(Buffer.concat(chunks));
    if (this.hook && (await this.hook(req, res, n))) return;
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      // Echoes what it got, like a careless server: the CLI must still never print a token.
      return this.problem(res, 401, "invalid_token", `the token ${String(req.headers.authorization).replace(/^Bearer /, "")} is not valid`);
    }
    if (req.method === "GET" && url.pathname === "/v1/transfer/outbox") {
      const all = url.searchParams.get("include_acknowledged") === "true";
      const after = Number(url.searchParams.get("cursor") ?? "0");
      const rows = this.outbox.filter((b) => (all || !b.acknowledged) && b.sequence > after).sort((a, b) => a.sequence - b.sequence);
      const page = rows.slice(0, this.pageSize);
      const more = rows.length > this.pageSize;
      return this.json(res, 200, {
        items: page.map((b) => ({
          id: b.id,
          sequence: b.sequence,
          file_name: b.file_name,
          records: b.records,
          bytes: b.file.length,
          sha256: b.sha256,
          created_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + DAY).toISOString(),
          acknowledged: b.acknowledged,
          acknowledged_at: b.acknowledged ? new Date().toISOString() : null,
        })),
        next_cursor: more ? String(page[page.length - 1].sequence) : null,
      });
    }
    const m = /^\/v1\/transfer\/outbox\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && m) {
      const b = this.outbox.find((x) => x.id === decodeURIComponent(m[1]));
      if (!b) return this.problem(res, 404, "not_found", "no such batch");
      const fault = this.corrupt.get(b.id);
      let bytes = b.file;
      let digest = Buffer.from(b.sha256, "hex").toString("base64");
      if (fault === "flip") {
        bytes = b.file.slice();
        bytes[bytes.length - 5] ^= 0xff;
      }
      if (fault === "bad-digest") digest = Buffer.alloc(32, 7).toString("base64");
      if (fault === "extra-bytes") bytes = new Uint8Array([...b.file, 1, 2, 3]);
      const headers: Record<string, string> = {
        "content-type": "application/octet-stream",
        "x-airlock-batch-sequence": String(b.sequence),
        etag: `"${b.sha256}"`,
      };
      if (fault !== "no-digest") headers.digest = `sha-256=${digest}`;
      if (fault === "reset-mid-body") {
        this.corrupt.delete(b.id); // once
        res.writeHead(200, { ...headers, "content-length": String(bytes.length) });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.writeHead(200, headers);
      return res.end(bytes);
    }
    if (req.method === "POST" && url.pathname === "/v1/transfer/inbox") {
      if (!decodeBatchFile(body).ok) return this.problem(res, 400, "not_a_batch", "the body is not a batch file");
      const unverified = readManifestUnverified(body);
      const seq = unverified.ok && typeof unverified.manifest.sequence === "number" ? unverified.manifest.sequence : null;
      const name = req.headers["x-airlock-file-name"] as string | undefined;
      const custom = this.inboxAnswer?.(seq, body);
      if (custom) {
        const outcome = (custom.body as { outcome?: string })?.outcome ?? `http ${custom.status}`;
        this.received.push({ sequence: seq, name, outcome, bytes: body.length });
        return this.json(res, custom.status, custom.body);
      }
      const v = await verifyBatch(body, { expectedDestination: this.network, peerKeys: this.peers });
      let answer: { outcome: string; reason?: string };
      if (!v.ok) answer = { outcome: "quarantined", reason: `${v.code}: ${v.reason}` };
      else if (v.manifest.sequence <= this.lastApplied) answer = { outcome: "replay" };
      else if (v.manifest.sequence === this.lastApplied + 1) {
        this.lastApplied++;
        answer = { outcome: "applied" };
      } else answer = { outcome: "held", reason: `waiting for sequence ${this.lastApplied + 1}` };
      this.received.push({ sequence: seq, name, outcome: answer.outcome, bytes: body.length });
      return this.json(res, 200, { receipt_id: crypto.randomUUID(), id: unverified.ok ? unverified.manifest.batch_id : "?", sequence: seq, ...answer });
    }
    if (req.method === "GET" && url.pathname === "/v1/transfer/status") {
      return this.json(res, 200, { outbound: { last_exported: this.outbox.length }, inbound: { last_imported: this.lastApplied } });
    }
    return this.problem(res, 404, "not_found", "no route");
  }
}

const client = (net: FakeNetwork, over: ClientOptions = {}) => new TransferClient({ url: net.url, token: net.token }, { ...FAST, ...over });

async function listDir(dir: string) {
  return (await readdir(dir)).sort();
}

describe("pull", () => {
  let A: FakeNetwork;
  beforeEach(async () => {
    A = await new FakeNetwork(REQUEST, TOKEN_A, peersOfA).start();
    A.outbox = await makeBatches(5, REQUEST, RESPONSE, keyA);
    return () => A.stop();
  });

  it("downloads every listed batch (all pages) with the exact bytes, then skips identical files", async () => {
    const dir = await tempDir();
    const folder = new NodeBatchFolder(dir, { create: true });
    const events: string[] = [];
    const s1 = await pull({ source: client(A), folder, onEvent: (e) => e.type === "file" && events.push(`${e.index}/${e.total} ${e.status}`) });
    expect(s1).toMatchObject({ listed: 5, pulled: 5, skipped: 0, failed: 0, ok: true });
    expect(s1.bytes).toBe(A.outbox.reduce((n, b) => n + b.file.length, 0));
    expect(events).toEqual(["1/5 downloaded", "2/5 downloaded", "3/5 downloaded", "4/5 downloaded", "5/5 downloaded"]);
    expect(await listDir(dir)).toEqual(A.outbox.map((b) => b.file_name).sort());
    for (const b of A.outbox) expect(await sha256Hex(new Uint8Array(await readFile(join(dir, b.file_name))))).toBe(b.sha256);
    // Pagination: three pages of two.
    expect(A.requests.filter((r) => r.path.startsWith("/v1/transfer/outbox?") || r.path === "/v1/transfer/outbox")).toHaveLength(3);

    const downloadsBefore = A.requests.filter((r) => /\/outbox\/[^/?]+$/.test(r.path)).length;
    const s2 = await pull({ source: client(A), folder });
    expect(s2).toMatchObject({ listed: 5, pulled: 0, skipped: 5, failed: 0, bytes: 0, ok: true });
    expect(A.requests.filter((r) => /\/outbox\/[^/?]+$/.test(r.path)).length).toBe(downloadsBefore);
    expect(summaryLine(s2)).toBe("pulled 0 files, 0 B; 5 already present; 0 failed");

    // A local file of the same name but other bytes is replaced by the verified download.
    await writeFile(join(dir, A.outbox[0].file_name), "not the batch");
    const s3 = await pull({ source: client(A), folder });
    expect(s3).toMatchObject({ pulled: 1, skipped: 4 });
    expect(await sha256Hex(new Uint8Array(await readFile(join(dir, A.outbox[0].file_name))))).toBe(A.outbox[0].sha256);
    expect((await readdir(dir)).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("refuses bytes that do not match the listing or the Digest header, and writes nothing for them", async () => {
    const dir = await tempDir();
    const [b1, b2, b3, b4, b5] = A.outbox;
    A.corrupt.set(b1.id, "flip");
    A.corrupt.set(b2.id, "bad-digest");
    A.corrupt.set(b3.id, "no-digest");
    A.corrupt.set(b4.id, "extra-bytes");
    const s = await pull({ source: client(A), folder: new NodeBatchFolder(dir, { create: true }) });
    expect(s).toMatchObject({ listed: 5, pulled: 1, failed: 4, ok: false });
    const byName = Object.fromEntries(s.files.map((f) => [f.name, f]));
    expect(byName[b1.file_name].error).toMatchObject({ kind: "integrity", code: "digest_mismatch" });
    expect(byName[b1.file_name].error?.message).toMatch(/outbox listing/);
    expect(byName[b2.file_name].error).toMatchObject({ code: "digest_mismatch" });
    expect(byName[b2.file_name].error?.message).toMatch(/Digest header/);
    expect(byName[b3.file_name].error).toMatchObject({ code: "missing_digest" });
    expect(byName[b4.file_name].error).toMatchObject({ code: "size_mismatch" });
    // Only the good file is there; no temporary or partial file either.
    expect(await readdir(dir)).toEqual([b5.file_name]);
    // Integrity failures are not retried: one download each.
    expect(A.requests.filter((r) => r.path === `/v1/transfer/outbox/${b1.id}`)).toHaveLength(1);
  });

  it("refuses a listed file name that could leave the folder", async () => {
    const dir = await tempDir();
    const inner = join(dir, "inner");
    A.outbox = A.outbox.slice(0, 2);
    A.outbox[0].file_name = "../escaped.batch";
    A.outbox[1].file_name = ".hidden";
    const s = await pull({ source: client(A), folder: new NodeBatchFolder(inner, { create: true }) });
    expect(s).toMatchObject({ pulled: 0, failed: 2 });
    expect(s.files.map((f) => f.error?.code)).toEqual(["unsafe_name", "unsafe_name"]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("retries a connection reset (before and in the middle of a body) and then succeeds", async () => {
    const dir = await tempDir();
    A.outbox = A.outbox.slice(0, 2);
    A.hook = (req, res, n) => {
      if (req.url?.startsWith("/v1/transfer/outbox") && req.url.split("?")[0] === "/v1/transfer/outbox" && n === 1) {
        res.socket?.destroy();
        return true;
      }
      return false;
    };
    A.corrupt.set(A.outbox[1].id, "reset-mid-body");
    const retries: string[] = [];
    const s = await pull({ source: client(A, { onRetry: (r) => retries.push(`${r.what}: ${r.error.kind}`) }), folder: new NodeBatchFolder(dir, { create: true }) });
    expect(s).toMatchObject({ pulled: 2, failed: 0, ok: true });
    expect(retries).toEqual(["list the outbox: network", `download batch ${A.outbox[1].id}: network`]);
    for (const b of A.outbox) expect(await sha256Hex(new Uint8Array(await readFile(join(dir, b.file_name))))).toBe(b.sha256);
  });

  it("does not retry a 4xx, and reports the problem's code and detail", async () => {
    const bad = new TransferClient({ url: A.url, token: "wrong-token-wrong-token" }, FAST);
    const err = await pull({ source: bad, folder: new MemoryBatchFolder() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect(err).toMatchObject({ kind: "http", status: 401, code: "invalid_token" });
    expect((err as Error).message).toMatch(/HTTP 401 invalid_token: the token .* is not valid/);
    expect(A.requests).toHaveLength(1);
  });

  it("gives up after the bounded number of attempts on a persistent 503, honouring a short Retry-After", async () => {
    A.hook = (_req, res) => {
      res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "0" });
      res.end(JSON.stringify({ code: "not_ready", detail: "starting" }));
      return true;
    };
    const err = await pull({ source: client(A), folder: new MemoryBatchFolder() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: "not_ready" });
    expect(A.requests).toHaveLength(3);
  });

  it("times out a server that never answers, and retries", async () => {
    A.hook = () => true; // never responds
    const t0 = Date.now();
    const err = await pull({ source: client(A, { timeoutMs: 200, retry: { attempts: 2, baseDelayMs: 5 } }), folder: new MemoryBatchFolder() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout" });
    expect(A.requests).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

describe("push", () => {
  let B: FakeNetwork;
  beforeEach(async () => {
    B = await new FakeNetwork(RESPONSE, TOKEN_B, peersOfB).start();
    return () => B.stop();
  });

  /** Files whose alphabetical order is not their sequence order, plus a stray file. */
  async function folderWith(batches: FakeBatch[]) {
    const dir = await tempDir();
    const names = ["m-first.batch", "c-second.batch", "x-third.batch", "a-fourth.batch", "k-fifth.batch"];
    for (const [i, b] of batches.entries()) await writeFile(join(dir, names[i]), b.file);
    await writeFile(join(dir, "README.txt"), "notes from the courier");
    return { dir, names };
  }

  it("uploads in ascending sequence order, skips non-batch files with a warning, and reports each outcome", async () => {
    const batches = await makeBatches(4, REQUEST, RESPONSE, keyA);
    const { dir, names } = await folderWith(batches);
    const warnings: string[] = [];
    const s = await push({ destination: client(B), folder: new NodeBatchFolder(dir), onEvent: (e) => e.type === "warning" && warnings.push(e.message) });
    expect(B.received.map((r) => r.sequence)).toEqual([1, 2, 3, 4]);
    expect(B.received.map((r) => r.name)).toEqual(names.slice(0, 4));
    expect(B.received.map((r) => r.outcome)).toEqual(["applied", "applied", "applied", "applied"]);
    expect(s).toMatchObject({ pushed: 4, applied: 4, replay: 0, held: 0, quarantined: 0, failed: 0, skipped: 1, removed: 0, ok: true });
    expect(warnings).toEqual([expect.stringMatching(/^README\.txt: not a batch file/)]);
    // Without --remove-after nothing is deleted; a second push is all replays.
    expect(await listDir(dir)).toHaveLength(5);
    const again = await push({ destination: client(B), folder: new NodeBatchFolder(dir) });
    expect(again).toMatchObject({ pushed: 4, replay: 4, ok: true });
    expect(summaryLine(again)).toMatch(/^pushed 4 files, [\d.]+ KB: 0 applied, 4 replay, 0 held, 0 quarantined; 0 failed; 1 skipped$/);
  });

  it("--remove-after deletes a file only after applied or replay; held, quarantined and errors keep theirs", async () => {
    const batches = await makeBatches(5, REQUEST, RESPONSE, keyA);
    const { dir, names } = await folderWith(batches);
    const answers: Record<number, InboxAnswer> = {
      1: { status: 200, body: { id: "x", sequence: 1, outcome: "applied" } },
      2: { status: 200, body: { id: "x", sequence: 2, outcome: "replay" } },
      3: { status: 200, body: { id: "x", sequence: 3, outcome: "held", reason: "gap: waiting for 2" } },
      4: { status: 200, body: { id: "x", sequence: 4, outcome: "quarantined", reason: "bad_signature" } },
      5: { status: 500, body: { code: "internal_error", detail: "boom" } },
    };
    B.inboxAnswer = (seq) => answers[seq ?? 0];
    const s = await push({ destination: client(B), folder: new NodeBatchFolder(dir), removeAfter: true });
    expect(s.files.filter((f) => f.sequence !== null).map((f) => [f.sequence, f.status, f.removed])).toEqual([
      [1, "applied", true],
      [2, "replay", true],
      [3, "held", false],
      [4, "quarantined", false],
      [5, "failed", false],
    ]);
    expect(s).toMatchObject({ applied: 1, replay: 1, held: 1, quarantined: 1, failed: 1, removed: 2, ok: false });
    expect(s.files.find((f) => f.sequence === 5)?.error).toMatchObject({ status: 500, code: "internal_error", detail: "boom" });
    expect(await listDir(dir)).toEqual([names[2], names[3], names[4], "README.txt"].sort());
    // The 500 was retried (bounded), the others answered once.
    expect(B.received.filter((r) => r.sequence === 5)).toHaveLength(3);
    expect(B.received.filter((r) => r.sequence === 4)).toHaveLength(1);
  });

  it("a 4xx upload is not retried and the file is kept", async () => {
    const [b] = await makeBatches(1, REQUEST, RESPONSE, keyA);
    const folder = new MemoryBatchFolder();
    await folder.write("one.batch", b.file);
    B.inboxAnswer = () => ({ status: 413, body: { code: "payload_too_large", detail: "a batch file is at most 10 bytes" } });
    const s = await push({ destination: client(B), folder, removeAfter: true });
    expect(s).toMatchObject({ failed: 1, removed: 0, ok: false });
    expect(s.files[0].error).toMatchObject({ status: 413, code: "payload_too_large" });
    expect(B.received).toHaveLength(1);
    expect(folder.files.has("one.batch")).toBe(true);
  });

  it("quarantine comes from the destination's own verification (wrong signer)", async () => {
    const [forged] = await makeBatches(1, REQUEST, RESPONSE, keyB); // signed with a key B does not trust
    const folder = new MemoryBatchFolder();
    await folder.write("forged.batch", forged.file);
    const s = await push({ destination: client(B), folder, removeAfter: true });
    expect(s).toMatchObject({ quarantined: 1, removed: 0, ok: false });
    expect(s.files[0].reason).toMatch(/unknown_key/);
    expect(folder.files.has("forged.batch")).toBe(true);
  });
});

describe("carry", () => {
  it("pulls from one network and pushes to the other, never deleting anything at the source", async () => {
    const A = await new FakeNetwork(REQUEST, TOKEN_A, peersOfA).start();
    const B = await new FakeNetwork(RESPONSE, TOKEN_B, peersOfB).start();
    try {
      A.outbox = await makeBatches(3, REQUEST, RESPONSE, keyA);
      const folder = new MemoryBatchFolder();
      const s = await carry({ source: client(A), destination: client(B), folder });
      expect(s.ok).toBe(true);
      expect(s.pull).toMatchObject({ pulled: 3, failed: 0 });
      expect(s.push).toMatchObject({ pushed: 3, applied: 3, failed: 0 });
      expect(B.received.map((r) => [r.sequence, r.outcome])).toEqual([
        [1, "applied"],
        [2, "applied"],
        [3, "applied"],
      ]);
      expect(A.requests.every((r) => r.method === "GET")).toBe(true);
      expect(A.outbox).toHaveLength(3);
      expect(summaryLine(s)).toMatch(/^carried 3 files, [\d.]+ KB \(pulled 3, 0 already present\): 3 applied, 0 replay, 0 held, 0 quarantined; 0 failed$/);

      // With a `delivered` set (the automatic ferry), confirmed batches are not uploaded again, and
      // once the source stops listing them (acknowledged) `prune` clears the folder.
      const delivered = new Set<string>();
      await carry({ source: client(A), destination: client(B), folder, delivered, prune: true });
      expect(B.received).toHaveLength(6); // replays
      expect(delivered.size).toBe(3);
      await carry({ source: client(A), destination: client(B), folder, delivered, prune: true });
      expect(B.received).toHaveLength(6);
      // Held and quarantined batches stay with the destination too: not sent again every round.
      A.outbox.push(...(await makeBatches(2, REQUEST, RESPONSE, keyA, 4)));
      A.outbox[4].file_name = "sixth.batch";
      B.inboxAnswer = (seq) => (seq === 4 ? { status: 200, body: { id: "x", sequence: 4, outcome: "quarantined", reason: "bad_record" } } : undefined);
      const s4 = await carry({ source: client(A), destination: client(B), folder, delivered, prune: true });
      expect(s4.push).toMatchObject({ quarantined: 1, held: 1, pushed: 2 });
      await carry({ source: client(A), destination: client(B), folder, delivered, prune: true });
      expect(B.received).toHaveLength(8);
      A.outbox = A.outbox.slice(0, 3);
      B.inboxAnswer = undefined;
      A.outbox[0].acknowledged = true;
      const s3 = await carry({ source: client(A), destination: client(B), folder, delivered, prune: true });
      expect(s3.pruned).toBe(3);
      expect([...folder.files.keys()].sort()).toEqual([A.outbox[1].file_name, A.outbox[2].file_name]);
      expect(delivered.size).toBe(2);
    } finally {
      await Promise.all([A.stop(), B.stop()]);
    }
  });
});

describe("automatic ferry", () => {
  it("carries both ways every interval, logs one line per carried file, does not re-upload, and stops cleanly", async () => {
    const A = await new FakeNetwork(REQUEST, TOKEN_A, peersOfA).start();
    const B = await new FakeNetwork(RESPONSE, TOKEN_B, peersOfB).start();
    try {
      A.outbox = await makeBatches(2, REQUEST, RESPONSE, keyA);
      B.outbox = await makeBatches(1, RESPONSE, REQUEST, keyB);
      const base = await tempDir();
      const logger = new MemoryLogger();
      const ferry = startAutoFerry({
        request: { url: A.url, token: TOKEN_A },
        response: { url: B.url, token: TOKEN_B },
        folders: {
          "request-to-response": new NodeBatchFolder(join(base, "request-to-response"), { create: true }),
          "response-to-request": new NodeBatchFolder(join(base, "response-to-request"), { create: true }),
        },
        intervalMs: 30,
        logger,
        client: FAST,
      });
      await expect.poll(() => B.received.length + A.received.length, { timeout: 5_000 }).toBe(3);
      const carried = () => logger.entries.filter((e) => e.msg === "ferry carried");
      await expect.poll(() => carried().length).toBe(3);
      expect(carried().map((e) => [e.direction, e.sequence, e.outcome])).toEqual([
        ["request-to-response", 1, "applied"],
        ["request-to-response", 2, "applied"],
        ["response-to-request", 1, "applied"],
      ]);
      // Several more rounds: nothing uploaded again, nothing logged again.
      const rounds = A.requests.filter((r) => r.path.startsWith("/v1/transfer/outbox")).length;
      await expect.poll(() => A.requests.filter((r) => r.path.startsWith("/v1/transfer/outbox")).length, { timeout: 5_000 }).toBeGreaterThan(rounds + 3);
      expect(B.received.length + A.received.length).toBe(3);
      expect(carried()).toHaveLength(3);
      expect(JSON.stringify(logger.entries)).not.toContain(TOKEN_A);

      // A network that goes away is logged once, not every round; its recovery too.
      B.hook = (_req, res) => {
        res.writeHead(503, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ code: "not_ready", detail: "restarting" }));
        return true;
      };
      await expect.poll(() => logger.entries.filter((e) => e.msg === "ferry round failed").length, { timeout: 5_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(logger.entries.filter((e) => e.msg === "ferry round failed")).toHaveLength(1);
      B.hook = undefined;
      await expect.poll(() => logger.entries.filter((e) => e.msg === "ferry recovered").length, { timeout: 5_000 }).toBe(1);

      // Acknowledged at the source → pruned from the ferry folder.
      for (const b of A.outbox) b.acknowledged = true;
      await expect.poll(() => readdir(join(base, "request-to-response")), { timeout: 5_000 }).toEqual([]);

      // Stop waits for the round in flight; nothing happens afterwards.
      await ferry.stop();
      const after = A.requests.length + B.requests.length;
      await new Promise((r) => setTimeout(r, 150));
      expect(A.requests.length + B.requests.length).toBe(after);
      expect(logger.entries.at(-1)?.msg).toBe("ferry stopped");
    } finally {
      await Promise.all([A.stop(), B.stop()]);
    }
  });

  it("stop() awaits a round that is in flight", async () => {
    const A = await new FakeNetwork(REQUEST, TOKEN_A, peersOfA).start();
    const B = await new FakeNetwork(RESPONSE, TOKEN_B, peersOfB).start();
    try {
      A.outbox = await makeBatches(1, REQUEST, RESPONSE, keyA);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered = false;
      B.hook = async (req) => {
        if (req.url === "/v1/transfer/inbox") {
          entered = true;
          await gate;
        }
        return false;
      };
      const logger = new MemoryLogger();
      const ferry = startAutoFerry({
        request: { url: A.url, token: TOKEN_A },
        response: { url: B.url, token: TOKEN_B },
        folders: { "request-to-response": new MemoryBatchFolder(), "response-to-request": new MemoryBatchFolder() },
        intervalMs: 20,
        logger,
        client: FAST,
      });
      await expect.poll(() => entered, { timeout: 5_000 }).toBe(true);
      let stopped = false;
      const stopping = ferry.stop().then(() => (stopped = true));
      await new Promise((r) => setTimeout(r, 100));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(B.received.map((r) => r.outcome)).toEqual(["applied"]);
      expect(logger.entries.filter((e) => e.msg === "ferry carried")).toHaveLength(1);
    } finally {
      await Promise.all([A.stop(), B.stop()]);
    }
  });
});

describe("NodeBatchFolder", () => {
  it("writes atomically, lists only regular visible files, removes idempotently", async () => {
    const dir = await tempDir();
    const f = new NodeBatchFolder(join(dir, "new"), { create: true });
    expect(await f.list()).toEqual([]);
    await f.write("a.batch", new Uint8Array([1, 2, 3]));
    await writeFile(join(dir, "new", ".a.batch.123.tmp"), "partial");
    await mkdir(join(dir, "new", "sub"));
    expect(await f.list()).toEqual([{ name: "a.batch", size: 3 }]);
    expect((await stat(join(dir, "new", "a.batch"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "new"))).mode & 0o777).toBe(0o700);
    await expect(f.write("../x", new Uint8Array([1]))).rejects.toThrow(/invalid batch file name/);
    await expect(f.read("../x")).rejects.toThrow(/invalid file name/);
    await f.remove("a.batch");
    await f.remove("a.batch");
    expect(await f.list()).toEqual([]);
    expect(formatBytes(12_697)).toBe("12.4 KB");
  });
});

describe("CLI (child process)", { timeout: 90_000 }, () => {
  let A: FakeNetwork;
  let B: FakeNetwork;
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // node_modules/.bin/tsx is what `npx tsx` runs, without npm's start-up cost.
      execFile(
        join(ROOT, "node_modules/.bin/tsx"),
        ["scripts/ferry.ts", ...args],
        { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, AIRLOCK_FERRY_RETRY_DELAY_MS: "5", ...env } },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const noToken = (r: { stdout: string; stderr: string }) => {
    for (const t of [TOKEN_A, TOKEN_B]) {
      expect(r.stdout).not.toContain(t);
      expect(r.stderr).not.toContain(t);
    }
  };

  beforeAll(async () => {
    A = await new FakeNetwork(REQUEST, TOKEN_A, peersOfA).start();
    B = await new FakeNetwork(RESPONSE, TOKEN_B, peersOfB).start();
    A.outbox = await makeBatches(3, REQUEST, RESPONSE, keyA);
  });
  afterAll(async () => {
    await Promise.all([A.stop(), B.stop()]);
  });

  it("pull: progress on stderr, summary on stdout, exit 0; the token comes from the environment", async () => {
    const out = await tempDir();
    const r = await run(["pull", "--from", A.url, "--out", out], { AIRLOCK_FERRY_FROM_TOKEN: TOKEN_A });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^pulled 3 files, [\d.]+ KB; 0 already present; 0 failed$/);
    expect(r.stderr).toMatch(/\[1\/3\] airlock-request-000001\.batch {2}[\d.]+ K?B {2}downloaded/);
    expect(r.stderr).toMatch(/\[3\/3\]/);
    expect(await listDir(out)).toEqual(A.outbox.map((b) => b.file_name));
    noToken(r);

    const again = await run(["pull", "--from", A.url, "--out", out, "--token", TOKEN_A, "--json"]);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ command: "pull", listed: 3, pulled: 0, skipped: 3, failed: 0, ok: true });
    noToken(again);
  });

  it("usage errors exit 2 and name the missing option", async () => {
    const [noOut, noTok, noFrom, unknown, bogus, ftp, noDir, help] = await Promise.all([
      run(["pull", "--from", A.url, "--token", TOKEN_A]),
      run(["push", "--to", B.url, "--dir", tmp]),
      run(["carry", "--to", B.url]),
      run(["teleport"]),
      run(["pull", "--bogus"]),
      run(["pull", "--from", "ftp://x", "--out", tmp, "--token", "t"]),
      run(["push", "--to", B.url, "--dir", join(tmp, "nope"), "--token", "t"]),
      run(["--help"]),
    ]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/missing --out DIR/);
    noToken(noOut);
    expect(noTok.code).toBe(2);
    expect(noTok.stderr).toMatch(/missing --token .*AIRLOCK_FERRY_TO_TOKEN/);
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toMatch(/missing --from URL/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "teleport"/);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/--bogus/);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/--from: unsupported URL scheme/);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/--dir .*nope: not a directory/);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/airlock-ferry pull {3}--from URL --out DIR/);
  });

  it("HTTP errors show the problem's code and detail, exit 1, and never print the token (even when the server echoes it)", async () => {
    const out = await tempDir();
    const r = await run(["pull", "--from", A.url, "--out", out, "--token", `${TOKEN_B}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 401 invalid_token: the token \[redacted\] is not valid/);
    noToken(r);
    expect(await readdir(out)).toEqual([]);
  });

  it("push --remove-after and carry: exit 1 when a file is quarantined, 0 when everything was applied", async () => {
    const dir = await tempDir();
    const [forged] = await makeBatches(1, REQUEST, RESPONSE, keyB);
    await writeFile(join(dir, "forged.batch"), forged.file);
    await writeFile(join(dir, "good.batch"), A.outbox[0].file);
    const r = await run(["push", "--to", B.url, "--dir", dir, "--remove-after"], { AIRLOCK_FERRY_TO_TOKEN: TOKEN_B });
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(/^pushed 2 files, [\d.]+ KB: 1 applied, 0 replay, 0 held, 1 quarantined; 0 failed; 1 removed$/);
    expect(r.stderr).toMatch(/quarantined: forged\.batch: unknown_key/);
    expect(await listDir(dir)).toEqual(["forged.batch"]);
    noToken(r);

    const via = await tempDir();
    const c = await run(["carry", "--from", A.url, "--to", B.url, "--via", via, "--json"], { AIRLOCK_FERRY_FROM_TOKEN: TOKEN_A, AIRLOCK_FERRY_TO_TOKEN: TOKEN_B });
    expect(c.code).toBe(0);
    const summary = JSON.parse(c.stdout);
    expect(summary).toMatchObject({ command: "carry", ok: true, pull: { pulled: 3 }, push: { applied: 2, replay: 1, failed: 0 } });
    expect(await listDir(via)).toHaveLength(3);
    expect(A.outbox).toHaveLength(3);
    noToken(c);
  });

  it("status prints the network's answer as is; verify delegates to the offline verifier", async () => {
    const s = await run(["status", "--url", B.url, "--token", TOKEN_B]);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toEqual({ outbound: { last_exported: 0 }, inbound: { last_imported: B.lastApplied } });

    const dir = await tempDir();
    await writeFile(join(dir, "pub.json"), JSON.stringify(keyA.publicJwk));
    await writeFile(join(dir, "1.batch"), A.outbox[0].file);
    const bad = A.outbox[1].file.slice();
    bad[bad.length - 3] ^= 1;
    await writeFile(join(dir, "2.batch"), bad);
    const ok = await run(["verify", "--public-key", join(dir, "pub.json"), "--destination", RESPONSE, join(dir, "1.batch")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK [0-9a-f-]{36} seq=1 records=2$/m);
    const failed = await run(["verify", "--public-key", join(dir, "pub.json"), join(dir, "1.batch"), join(dir, "2.batch")]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAIL .*2\.batch: .*\(checksum_mismatch\)/);
    expect((await run(["verify", join(dir, "1.batch")])).code).toBe(2);
  });

  it("the bin shim runs the same CLI", async () => {
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile("node", ["bin/airlock-ferry.mjs", "--help"], { cwd: ROOT }, (e, stdout) => resolve({ code: e ? 1 : 0, stdout })),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^airlock-ferry: carry Airlock batch files/);
  });
});
