// Runs in Node before the workerd tests: real Redis behind the Upstash-compatible endpoint on
// 127.0.0.1, an endpoint whose Redis has been stopped, and a server that never answers. The
// workerd tests get their URLs and tokens with `inject` (test/workers/rate-limit.test.ts).
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { TestProject } from "vitest/node";
import { getRedisUrl, startPrivateRedis, startUpstashEndpoint } from "../helpers/redis.ts";

declare module "vitest" {
  export interface ProvidedContext {
    rateLimitUpstash: { url: string; token: string };
    rateLimitDownUpstash: { url: string; token: string };
    rateLimitHangingUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const shared = await getRedisUrl();
  const endpoint = await startUpstashEndpoint(shared.url);
  const privateRedis = await startPrivateRedis();
  const down = await startUpstashEndpoint(privateRedis.url);
  await privateRedis.stop();
  const sockets = new Set<Socket>();
  const hanging = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));

  project.provide("rateLimitUpstash", { url: endpoint.url, token: endpoint.token });
  project.provide("rateLimitDownUpstash", { url: down.url, token: down.token });
  project.provide("rateLimitHangingUrl", `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`);

  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => hanging.close(() => r()));
    await down.close();
    await privateRedis.stop();
    await endpoint.close();
    await shared.stop();
  };
}
