// Runs in Node before the workerd tests: a webhook receiver on 127.0.0.1 that verifies each
// delivery with the standardwebhooks package. Tests in workerd tell it the secret (POST
// /_secret) and read what it received (GET /_received).
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { Webhook } from "standardwebhooks";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiver: string;
  }
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      s += c;
    });
    req.on("end", () => resolve(s));
  });

export default async function setup(project: TestProject) {
  const secrets = new Map<string, string>();
  const received: Array<{ path: string; id: string; body: unknown; verifyError: string | null }> = [];
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const path = req.url ?? "/";
    if (path === "/_secret") {
      const { path: p, secret } = JSON.parse(body) as { path: string; secret: string };
      secrets.set(p, secret);
      return res.writeHead(204).end();
    }
    if (path === "/_received") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
    let verifyError: string | null = null;
    try {
      new Webhook(secrets.get(path) ?? "whsec_AAAA").verify(body, req.headers as Record<string, string>);
    } catch (e) {
      verifyError = (e as Error).message;
    }
    received.push({ path, id: String(req.headers["webhook-id"]), body: JSON.parse(body), verifyError });
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  project.provide("webhookReceiver", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  };
}
