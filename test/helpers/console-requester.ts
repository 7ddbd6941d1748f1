// The request network in workerd (a ConsoleNetwork) joined to a response network on Node by
// real batches over HTTP, for console pages that follow a request across the gap.
import { expect } from "vitest";
import { TransferClient } from "../../src/transfer/ferry/client.ts";
import { carry } from "../../src/transfer/ferry/carry.ts";
import { MemoryBatchFolder } from "../../src/transfer/ferry/folder.ts";
import { TEST_ENV, nodeApp } from "./node-app.ts";
import { seedSession } from "./identity-fixtures.ts";
import { cross } from "./link-pair.ts";
import type { Net } from "./transfer.ts";
import type { ConsoleNetwork } from "./console.ts";

/** A network reached over HTTP (workerd listening on 127.0.0.1), addressed as the transfer helpers address an in-process app. */
export const overHttp = (url: string): Net => ({ app: { request: (path: string, init?: RequestInit) => fetch(url + path, init) } }) as unknown as Net;

export type Json = Record<string, any>;

/** A master (response network, Node, libSQL file) for `net`, with an admin and an operator. */
export async function masterFor(net: ConsoleNetwork) {
  const master = await nodeApp({ NETWORK_ROLE: "response" });
  const replica = overHttp(net.url);
  const admin = await seedSession(master.services, { role: "admin" });
  const operator = await seedSession(master.services, { role: "operator" });
  const post = async (path: string, auth: string, body: unknown) => {
    const res = await master.app.request(path, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify(body) }, {});
    return { status: res.status, body: (await res.json()) as Json };
  };
  return {
    master,
    /** An account made on the master and carried to the request network in a batch, as in production. */
    async createUser(o: { role: "user" | "operator" | "admin"; name: string; password: string }) {
      const email = `${o.role}-${crypto.randomUUID().slice(0, 8)}@example.com`;
      const res = await post("/v1/admin/users", admin.auth, { email, name: o.name, role: o.role, password: o.password });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      await cross(master, replica);
      return { id: res.body.id as string, email };
    },
    toMaster: () => cross(replica, master),
    toReplica: () => cross(master, replica),
    answer: (id: string, body: unknown, contentType?: string) =>
      post(`/v1/requests/${id}/response`, operator.auth, { body, ...(contentType ? { content_type: contentType } : {}) }),
    reject: (id: string, reason: string) => post(`/v1/requests/${id}/reject`, operator.auth, { reason }),
  };
}

/**
 * The courier between two networks listening on 127.0.0.1, with the ferry's own code
 * (src/transfer/ferry: TransferClient, carry) and the courier token: export now, then pull every
 * unacknowledged batch and push it to the other side. Each direction keeps its folder, so a
 * batch pushed once is not pushed again; `files` keeps every batch file carried, by sequence.
 */
export function courierBetween(response: { url: string }, request: { url: string }) {
  const client = (url: string) => new TransferClient({ url, token: TEST_ENV.AIRLOCK_COURIER_TOKEN }, { retry: { attempts: 1 } });
  const direction = (from: string, to: string) => {
    const source = client(from);
    const destination = client(to);
    const folder = new MemoryBatchFolder();
    const delivered = new Set<string>();
    const files = new Map<number, Uint8Array>();
    const run = async () => {
      await source.triggerExport();
      const summary = await carry({ source, destination, folder, delivered });
      expect(summary.ok, JSON.stringify(summary).slice(0, 800)).toBe(true);
      for (const f of summary.pull.files) {
        const bytes = folder.files.get(f.name);
        if (bytes) files.set(f.sequence, bytes);
      }
      return summary.push;
    };
    return Object.assign(run, { files });
  };
  return { toRequest: direction(response.url, request.url), toResponse: direction(request.url, response.url) };
}
