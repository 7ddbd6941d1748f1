// The automatic ferry (what `npm start` runs): rounds both ways on an interval against fake
// networks, one log line per carried file, and a clean stop.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeNetwork, FAST, REQUEST, RESPONSE, TOKEN_A, TOKEN_B, keyA, keyB, makeBatches, peersOfA, peersOfB, tempDir, useFerryFixtures } from "../helpers/fake-network.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { startAutoFerry } from "../../src/transfer/ferry/auto.ts";
import { MemoryBatchFolder } from "../../src/transfer/ferry/folder.ts";
import { NodeBatchFolder } from "../../src/runtime/node/batch-folder.ts";

useFerryFixtures();

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
