// A network's transfer endpoints as a small real HTTP server on 127.0.0.1 (the contract of
// docs/architecture.md, "Wire shapes"), real chained batch files for it to list and judge, and
// the signing keys and temporary folders the ferry tests share.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { decodeBatchFile } from "../../src/transfer/batch/format.ts";
import { ZERO_HASH } from "../../src/transfer/batch/hash.ts";
import { generateSigningKey, parsePeerKeys, type PeerKeySet, type SigningKeyPair } from "../../src/transfer/batch/keys.ts";
import { readManifestUnverified, verifyBatch } from "../../src/transfer/batch/read.ts";
import { buildBatch } from "../../src/transfer/batch/write.ts";
import { TransferClient, type ClientOptions } from "../../src/transfer/ferry/client.ts";

export const REQUEST = "airlock-request";
export const RESPONSE = "airlock-response";
export const DAY = 86_400_000;
export const TOKEN_A = "courier-token-of-the-request-network-0123456789";
export const TOKEN_B = "courier-token-of-the-response-network-987654321";
export const FAST: ClientOptions = { timeoutMs: 5_000, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } };

export let keyA: SigningKeyPair; // the request network's signing key
export let keyB: SigningKeyPair; // the response network's
export let peersOfB: PeerKeySet; // what the response network trusts (A's public key)
export let peersOfA: PeerKeySet;
export let tmp: string;

/** Registers the hooks that make the keys above and a temporary folder for this test file. */
export function useFerryFixtures() {
  beforeAll(async () => {
    [keyA, keyB] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    peersOfB = await parsePeerKeys([keyA.publicJwk]);
    peersOfA = await parsePeerKeys([keyB.publicJwk]);
    tmp = await mkdtemp(join(tmpdir(), "airlock-ferry-test-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
}

let dirCount = 0;
export async function tempDir(): Promise<string> {
  const d = join(tmp, `d${++dirCount}`);
  await mkdir(d, { recursive: true });
  return d;
}

export interface FakeBatch {
  id: string;
  sequence: number;
  file_name: string;
  file: Uint8Array;
  sha256: string;
  records: number;
  acknowledged: boolean;
}

/** Builds `count` chained batches from `source` to `destination`, signed with `key`. */
export async function makeBatches(count: number, source: string, destination: string, key: SigningKeyPair, firstSequence = 1): Promise<FakeBatch[]> {
  const out: FakeBatch[] = [];
  let prev = firstSequence === 1 ? ZERO_HASH : "ab".repeat(32);
  for (let seq = firstSequence; seq < firstSequence + count; seq++) {
    const records = Array.from({ length: seq + 1 }, (_, i) => ({ kind: "request", id: `r${seq}-${i}`, version: 1, data: { text: `question ${seq}.${i} `.repeat(20) } }));
    const built = await buildBatch({
      records,
      source,
      destination,
      sequence: seq,
      prevHash: prev,
      ack: 0,
      ttlMs: DAY,
      signingKey: { privateJwk: key.privateJwk, keyId: key.keyId },
    });
    prev = built.fileSha256;
    out.push({
      id: built.manifest.batch_id,
      sequence: seq,
      file_name: `${source}-${String(seq).padStart(6, "0")}.batch`,
      file: built.file,
      sha256: built.fileSha256,
      records: records.length,
      acknowledged: false,
    });
  }
  return out;
}

export type InboxAnswer = { status: number; body: unknown } | undefined;
export type Hook = (req: IncomingMessage, res: ServerResponse, n: number) => boolean | Promise<boolean>;

/** A network's transfer endpoints, as the contract describes them; faults are injected through hooks. */
export class FakeNetwork {
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

  constructor(
    readonly network: string,
    readonly token: string,
    readonly peers: PeerKeySet,
  ) {}

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

export const client = (net: FakeNetwork, over: ClientOptions = {}) => new TransferClient({ url: net.url, token: net.token }, { ...FAST, ...over });

export async function listDir(dir: string) {
  return (await readdir(dir)).sort();
}
