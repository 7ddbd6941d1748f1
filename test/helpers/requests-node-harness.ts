// The requests suites' harness on Node: the app on libSQL files, real Redis behind the
// Upstash-compatible endpoint (the shared server for most tests; with `faults`, also a
// redis-server of the file's own for the test that stops it, and a server that never answers).
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, beforeAll } from "vitest";
import type { RequestsHarness } from "../shared/requests-harness.ts";
import { nodeApp } from "./node-app.ts";
import { deleteKeysWithPrefix, getRedisUrl, startPrivateRedis, startUpstashEndpoint, type PrivateRedis, type RedisHandle, type UpstashEndpointHandle } from "./redis.ts";

/** Registers this file's hooks and returns the harness; `faults` starts the private Redis and the hanging server. */
export function nodeRequestsHarness(opts: { faults?: boolean } = {}): RequestsHarness {
  let shared: RedisHandle;
  let sharedEndpoint: UpstashEndpointHandle;
  let priv: PrivateRedis;
  let privEndpoint: UpstashEndpointHandle;
  let hanging: Server;
  const sockets = new Set<Socket>();
  const needsFaults = () => {
    if (!opts.faults) throw new Error("nodeRequestsHarness: pass { faults: true } for the private Redis and the hanging server");
  };

  beforeAll(async () => {
    shared = await getRedisUrl();
    sharedEndpoint = await startUpstashEndpoint(shared.url);
    if (!opts.faults) return;
    priv = await startPrivateRedis();
    privEndpoint = await startUpstashEndpoint(priv.url);
    hanging = createServer((sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
    });
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
  });

  const networkIds: string[] = [];
  afterAll(async () => {
    // Never FLUSH a shared Redis: delete exactly the keys of the networks these tests created.
    for (const id of networkIds) await deleteKeysWithPrefix(shared.url, `airlock:${id}:`);
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => (hanging ? hanging.close(() => r()) : r()));
    await privEndpoint?.close();
    await priv?.stop();
    await sharedEndpoint?.close();
    await shared?.stop();
  });

  const uniqueId = (role: string) => {
    const id = `airlock-${role}-${crypto.randomUUID().slice(0, 8)}`;
    networkIds.push(id);
    return id;
  };

  return {
    runtime: "node",
    network: (role, settings = {}) =>
      nodeApp({
        NETWORK_ROLE: role,
        AIRLOCK_NETWORK_ID: uniqueId(role),
        AIRLOCK_PEER_NETWORK_ID: role === "request" ? "airlock-response" : "airlock-request",
        UPSTASH_REDIS_REST_URL: sharedEndpoint.url,
        UPSTASH_REDIS_REST_TOKEN: sharedEndpoint.token,
        // Generous bounds for a busy test machine; the 200 ms default is exercised by the hanging-Redis test.
        AIRLOCK_CACHE_TIMEOUT_MS: "2000",
        AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "2000",
        ...settings,
      }),
    get upstash() {
      return { url: sharedEndpoint.url, token: sharedEndpoint.token };
    },
    get hangingUrl() {
      needsFaults();
      return `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    },
    privateRedis: {
      get upstash() {
        needsFaults();
        return { url: privEndpoint.url, token: privEndpoint.token };
      },
      stop: () => priv.stop(),
      start: () => priv.restart(),
    },
  };
}
