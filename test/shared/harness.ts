import type { AirlockApp } from "../../src/app.ts";
import type { Services } from "../../src/services.ts";

/** What a shared suite needs from a runtime: an app built by the factory over that runtime's real services. */
export interface Harness {
  runtime: "node" | "workerd";
  /** A fresh app over the runtime's services; `extend` may add test-only routes before the first request. */
  app(extend?: (app: AirlockApp) => void, opts?: { role?: "request" | "response" }): Promise<{ app: AirlockApp; services: Services }>;
}

export const PROBLEM_TYPE = "application/problem+json";

/** Asserts the whole RFC 9457 body: every member, exact values where they are known. */
export async function expectProblem(
  res: Response,
  expected: { status: number; code: string; title: string; instance: string; detail?: string | RegExp; requestId?: string },
  expectFn: (v: unknown) => any,
) {
  const e = expectFn;
  e(res.status).toBe(expected.status);
  e(res.headers.get("content-type")).toBe(PROBLEM_TYPE);
  const body = (await res.json()) as Record<string, unknown>;
  e(body.type).toBe(`urn:airlock:problem:${expected.code}`);
  e(body.title).toBe(expected.title);
  e(body.status).toBe(expected.status);
  e(body.code).toBe(expected.code);
  e(body.instance).toBe(expected.instance);
  e(typeof body.detail).toBe("string");
  if (expected.detail instanceof RegExp) e(body.detail).toMatch(expected.detail);
  else if (expected.detail) e(body.detail).toBe(expected.detail);
  e(body.request_id).toBe(expected.requestId ?? res.headers.get("x-request-id"));
  e(typeof body.request_id).toBe("string");
  return body;
}
