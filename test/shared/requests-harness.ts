// What the requests suites share (requests-*.suite.ts, responses, response-cache, queue-and-answers):
// requests and responses through the app factory, on Node (libSQL) and inside workerd (D1), with
// the response cache on real Redis behind the Upstash-compatible endpoint. Each network gets its
// own network id, so its cache keys (`airlock:<network id>:cache:…`) are its own.
import { expect } from "vitest";
import type { AirlockApp } from "../../src/app.ts";
import type { Services } from "../../src/services.ts";
import type { Role } from "../../src/identity/roles.ts";
import { CATALOG, type ErrorCode } from "../../src/errors.ts";
import { expectProblem } from "./harness.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { afterApply, applyRequestStatuses, applyResponses } from "../../src/requests/apply.ts";
import type { ResponseRecord } from "../../src/requests/records.ts";
import { run } from "../helpers/requests-fixtures.ts";

export interface UpstashTarget {
  url: string;
  token: string;
}

export interface RequestsHarness {
  runtime: "node" | "workerd";
  /** A network of this role with a network id of its own, over the runtime's real services, its cache on `upstash`. */
  network(role: "request" | "response", settings?: Record<string, string>): Promise<{ app: AirlockApp; services: Services }>;
  /** The endpoint in front of the shared Redis (for the foreign-namespace probe). */
  upstash: UpstashTarget;
  /** A server that accepts connections and never answers. */
  hangingUrl: string;
  /** A redis-server of this test run's own behind its own endpoint, which the test may stop and start. */
  privateRedis: { upstash: UpstashTarget; stop(): Promise<void>; start(): Promise<void> };
}

export type Json = Record<string, any>;

/** What every requests suite starts from: a fresh network with calls, sessions, submissions and deliveries bound to it, and the problem check. */
export function requestsKit(h: RequestsHarness) {
  const setup = async (role: "request" | "response" = "request", settings: Record<string, string> = {}) => {
    const { app, services: s } = await h.network(role, settings);
    const call = (path: string, init: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.auth) headers.authorization = init.auth;
      if (init.body !== undefined) headers["content-type"] = "application/json";
      return app.request(path, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: init.signal }, {});
    };
    const session = (r: Role = "user") => seedSession(s, { role: r });
    const submit = async (auth: string, body: unknown = { topic: "weather", body: { q: "rain tomorrow?" } }, headers: Record<string, string> = {}) => {
      const res = await call("/v1/requests", { method: "POST", auth, body, headers });
      return { res, json: (await res.clone().json()) as Json };
    };
    /** What the importer does when the master's answer arrives (statuses, response, then afterApply unless `elsewhere`: another process or isolate imported it). */
    const deliver = async (
      id: string,
      seq: number,
      o: { status?: "answered" | "rejected" | "received"; version?: number; response?: Partial<ResponseRecord> | null; elsewhere?: boolean } = {},
    ) => {
      const status = o.status ?? "answered";
      const at = s.clock.now().toISOString();
      const ctx = { batchSequence: seq, receivedAt: s.clock.now().toISOString() };
      const statusRec = { id, status, version: o.version ?? 3, events: [{ status, at, ...(status === "rejected" ? { detail: "out of scope" } : {}) }] };
      const resp: ResponseRecord | null =
        o.response === null || status === "received"
          ? null
          : {
              request_id: id,
              kind: status === "rejected" ? "rejection" : "answer",
              body: status === "rejected" ? null : JSON.stringify({ answer: "sunny", seq }),
              content_type: status === "rejected" ? null : "application/json",
              reason: status === "rejected" ? "out of scope" : null,
              answered_by: "usr_operator",
              answered_at: at,
              version: 1,
              ...o.response,
            };
      await run(s, [...applyRequestStatuses(s, [statusRec], ctx), ...(resp ? applyResponses(s, [resp], ctx) : [])]);
      if (o.elsewhere) return;
      await afterApply(s, [{ kind: "request_status", data: statusRec }, ...(resp ? [{ kind: "response", data: resp as unknown as Record<string, unknown> }] : [])]);
    };
    const adminAuth = async () => (await session("admin")).auth;
    const stats = async (auth: string) => (await (await call("/v1/admin/cache/stats", { auth })).json()) as Json;
    return { app, s, call, session, submit, deliver, adminAuth, stats };
  };

  const problem = (res: Response, code: ErrorCode, path: string, detail?: string | RegExp) =>
    expectProblem(res, { status: CATALOG[code].status, code, title: CATALOG[code].title, instance: path, detail }, expect);
  return { setup, problem };
}
