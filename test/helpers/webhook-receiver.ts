// A real webhook receiver on 127.0.0.1 (node:http) that verifies every delivery with the
// standardwebhooks package, as a user's service would. Its clock is the sender's (tests move
// time with a ManualClock), so the package's five-minute timestamp tolerance holds.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, vi } from "vitest";
import { Webhook } from "standardwebhooks";
import type { Clock } from "../../src/deps/clock.ts";

export interface Received {
  path: string;
  id: string;
  body: any;
  /** null when Webhook.verify accepted it; otherwise its message. */
  verifyError: string | null;
}
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let s = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      s += c;
    });
    req.on("end", () => resolve(s));
    req.on("error", reject);
  });

const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
afterAll(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** `secrets` maps a path to the secret(s) every delivery there must verify with; `reply` decides each answer. */
export async function startReceiver(clock: Clock, reply: (r: Received, all: Received[]) => Reply = () => ({ status: 200 })) {
  const secrets = new Map<string, string | string[]>();
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const path = req.url ?? "/";
    let verifyError: string | null = null;
    const spy = vi.spyOn(Date, "now").mockReturnValue(clock.now().getTime());
    try {
      for (const secret of [secrets.get(path) ?? "whsec_AAAA"].flat()) new Webhook(secret).verify(body, req.headers as Record<string, string>);
    } catch (e) {
      verifyError = (e as Error).message;
    } finally {
      spy.mockRestore();
    }
    const r: Received = { path, id: String(req.headers["webhook-id"]), body: JSON.parse(body), verifyError };
    received.push(r);
    const out = reply(r, received);
    if (out.delayMs) await new Promise((ok) => setTimeout(ok, out.delayMs));
    if (!res.destroyed) res.writeHead(out.status, out.headers).end("ok");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  servers.push(server);
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return { url, secrets, received };
}
