// The ferry library's pull, push and carry against small real HTTP servers on 127.0.0.1 that
// implement the transfer contract (docs/architecture.md, "Wire shapes") with real batch files:
// exact bytes, refusals, retries and timeouts. The end-to-end run against the real networks
// lives with the transfer endpoints' tests.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import {
  FakeNetwork,
  FAST,
  REQUEST,
  RESPONSE,
  TOKEN_A,
  TOKEN_B,
  client,
  keyA,
  keyB,
  listDir,
  makeBatches,
  peersOfA,
  peersOfB,
  tempDir,
  useFerryFixtures,
  type FakeBatch,
  type InboxAnswer,
} from "../helpers/fake-network.ts";
import { sha256Hex } from "../../src/transfer/batch/hash.ts";
import { FerryError, TransferClient } from "../../src/transfer/ferry/index.ts";
import { carry, pull, push, summaryLine } from "../../src/transfer/ferry/index.ts";
import { MemoryBatchFolder } from "../../src/transfer/ferry/folder.ts";
import { NodeBatchFolder } from "../../src/runtime/node/batch-folder.ts";

useFerryFixtures();

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
