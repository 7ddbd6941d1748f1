// Runs in Node before the workerd tests: a redis-server of the requests suites' own behind its
// own Upstash-compatible endpoint, and a tiny control server on 127.0.0.1 the workerd test calls
// to stop and start that Redis in the middle of a test (response-cache.test.ts; workerd cannot spawn processes).
// The shared Redis endpoint comes from rate-limit.global-setup.ts (`rateLimitUpstash`); POST
// /cleanup with a JSON list of network ids deletes exactly those networks' keys from it (never FLUSH).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { deleteKeysWithPrefix, getRedisUrl, startPrivateRedis, startUpstashEndpoint } from "../helpers/redis.ts";

declare module "vitest" {
  export interface ProvidedContext {
    requestsPrivateUpstash: { url: string; token: string; control: string };
  }
}

export default async function setup(project: TestProject) {
  const shared = await getRedisUrl();
  const priv = await startPrivateRedis();
  const endpoint = await startUpstashEndpoint(priv.url);
  const control: Server = createServer((req, res) => {
    const action = req.method === "POST" ? req.url : undefined;
    const done = (p: Promise<void>) =>
      p.then(
        () => res.end("ok"),
        (e: unknown) => {
          res.statusCode = 500;
          res.end(String(e));
        },
      );
    if (action === "/cleanup") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const ids = JSON.parse(body || "[]") as string[];
        void done(
          (async () => {
            for (const id of ids) if (/^[a-z0-9-]+$/.test(id)) await deleteKeysWithPrefix(shared.url, `airlock:${id}:`);
          })(),
        );
      });
    } else if (action === "/stop") void done(priv.stop());
    else if (action === "/start") void done(priv.restart());
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
  project.provide("requestsPrivateUpstash", { url: endpoint.url, token: endpoint.token, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` });
  return async () => {
    control.closeAllConnections();
    await new Promise<void>((r) => control.close(() => r()));
    await endpoint.close();
    await priv.stop();
    await shared.stop();
  };
}
