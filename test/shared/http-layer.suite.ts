import { describe, expect, it } from "vitest";
import { createRoute, z } from "@hono/zod-openapi";
import type { AirlockApp } from "../../src/app.ts";
import type { MemoryLogger } from "../../src/deps/logger.ts";
import { expectProblem, type Harness } from "./harness.ts";

/** Test-only routes: a JSON body to validate, and a handler that throws. */
function testRoutes(app: AirlockApp) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/__test/echo",
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.object({
                name: z.string().min(1),
                tags: z.array(z.string()).max(2),
                "a/b": z.number().optional(),
                nested: z.object({ n: z.number() }).optional(),
              }),
            },
          },
        },
      },
      responses: { 200: { description: "echo" } },
    }),
    (c) => c.json(c.req.valid("json"), 200),
  );
  app.get("/__test/throw", () => {
    throw new Error("db password is hunter2 at /srv/internal/path");
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Both harnesses configure AIRLOCK_MAX_BODY_BYTES=4096.
const LIMIT = 4096;

export function httpLayerSuite(h: Harness) {
  const setup = async () => {
    const { app, services } = await h.app(testRoutes);
    const logger = services.logger as MemoryLogger;
    const call = (path: string, init?: RequestInit) => app.request(path, init, {});
    return { app, services, logger, call };
  };

  describe(`HTTP layer (${h.runtime})`, () => {
    it("GET /health answers ok with a generated request id", async () => {
      const { call } = await setup();
      const res = await call("/health");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ status: "ok" });
      expect(res.headers.get("x-request-id")).toMatch(UUID);
    });

    it("reuses a well-formed X-Request-Id and replaces a malformed one", async () => {
      const { call } = await setup();
      const good = await call("/health", { headers: { "X-Request-Id": "client-req_0001.abc" } });
      expect(good.headers.get("x-request-id")).toBe("client-req_0001.abc");
      const bad = await call("/health", { headers: { "X-Request-Id": "bad id with spaces <script>" } });
      expect(bad.headers.get("x-request-id")).toMatch(UUID);
    });

    it("GET /ready checks database, cache and batch store", async () => {
      const { call } = await setup();
      const res = await call("/ready");
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; latency_ms: number }> };
      expect(body.status).toBe("ready");
      expect(Object.keys(body.checks).sort()).toEqual(["batch_store", "cache", "database"]);
      for (const c of Object.values(body.checks)) expect(c.ok).toBe(true);
    });

    it("GET /ready answers 503 naming the failed check", async () => {
      const { app, services } = await setup();
      services.cache.ping = async () => {
        throw new Error("connection refused to redis at 10.0.0.1 with token abc");
      };
      const res = await app.request("/ready", {}, {});
      const body = await expectProblem(res, { status: 503, code: "not_ready", title: "Service not ready", instance: "/ready", detail: "failed check: cache" }, expect);
      expect(body.checks).toMatchObject({ cache: { ok: false }, database: { ok: true }, batch_store: { ok: true } });
      expect(JSON.stringify(body)).not.toContain("10.0.0.1");
    });

    it("GET /v1/meta names the server, its role and schema version", async () => {
      const { call, services } = await setup();
      const res = await call("/v1/meta");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        name: "airlock",
        version: "0.1.0",
        role: services.config.role,
        network_id: services.config.networkId,
        peer_network_id: services.config.peerNetworkId,
        schema_version: expect.stringMatching(/^\d{4}_[a-z_]+$/),
        runtime: h.runtime,
      });
    });

    it("GET /openapi.json is an OpenAPI 3.1 document of the routes", async () => {
      const { call } = await setup();
      const res = await call("/openapi.json");
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { openapi: string; info: { version: string }; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.info.version).toBe("0.1.0");
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/ready", "/v1/meta"]));
      expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["Problem", "Meta", "Ready", "Health"]));
    });

    it("GET /docs serves the interactive reference of /openapi.json", async () => {
      const { call } = await setup();
      const res = await call("/docs");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('url: "/openapi.json"');
      expect(html).toMatch(/swagger-ui-bundle\.js/);
    });

    it("unknown route → 404 problem", async () => {
      const { call } = await setup();
      const res = await call("/v1/nope", { headers: { "X-Request-Id": "req-404-test" } });
      await expectProblem(
        res,
        { status: 404, code: "not_found", title: "Not found", instance: "/v1/nope", detail: "no route for GET /v1/nope", requestId: "req-404-test" },
        expect,
      );
    });

    it("wrong method → 405 problem with Allow", async () => {
      const { call } = await setup();
      const res = await call("/health", { method: "DELETE" });
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      await expectProblem(
        res,
        { status: 405, code: "method_not_allowed", title: "Method not allowed", instance: "/health", detail: "DELETE is not allowed on /health; allowed: GET, HEAD" },
        expect,
      );
    });

    it("malformed JSON → 400 problem, handler not reached", async () => {
      const { call } = await setup();
      const res = await call("/__test/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name": "x",' });
      await expectProblem(res, { status: 400, code: "malformed_json", title: "Malformed JSON body", instance: "/__test/echo", detail: /malformed json/i }, expect);
    });

    it("invalid fields → 400 problem with JSON pointers", async () => {
      const { call } = await setup();
      const res = await call("/__test/echo", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "", tags: ["a", "b", "c"], "a/b": "x", nested: { n: "1" } }),
      });
      const body = await expectProblem(
        res,
        { status: 400, code: "validation_failed", title: "Validation failed", instance: "/__test/echo", detail: "4 invalid fields in the body" },
        expect,
      );
      const pointers = (body.errors as Array<{ pointer: string; detail: string }>).map((e) => e.pointer).sort();
      expect(pointers).toEqual(["/a~1b", "/name", "/nested/n", "/tags"]);
      for (const e of body.errors as Array<{ detail: string }>) expect(e.detail.length).toBeGreaterThan(3);
    });

    it("valid body reaches the handler", async () => {
      const { call } = await setup();
      const res = await call("/__test/echo", { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify({ name: "n", tags: [] }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ name: "n", tags: [] });
    });

    it("body over the configured limit → 413 problem", async () => {
      const { call } = await setup();
      const big = JSON.stringify({ name: "x".repeat(LIMIT + 10), tags: [] });
      const res = await call("/__test/echo", { method: "POST", headers: { "content-type": "application/json" }, body: big });
      await expectProblem(
        res,
        { status: 413, code: "payload_too_large", title: "Payload too large", instance: "/__test/echo", detail: `request body exceeds ${LIMIT} bytes` },
        expect,
      );
    });

    it("unsupported content type → 415 problem", async () => {
      const { call } = await setup();
      const res = await call("/__test/echo", { method: "POST", headers: { "content-type": "text/plain" }, body: "name=x" });
      await expectProblem(
        res,
        {
          status: 415,
          code: "unsupported_media_type",
          title: "Unsupported media type",
          instance: "/__test/echo",
          detail: 'expected Content-Type: application/json, got "text/plain"',
        },
        expect,
      );
    });

    it("anything thrown → 500 problem without internals, logged with its stack", async () => {
      const { call, logger } = await setup();
      const res = await call("/__test/throw", { headers: { "X-Request-Id": "req-500-test" } });
      const body = await expectProblem(
        res,
        {
          status: 500,
          code: "internal_error",
          title: "Internal server error",
          instance: "/__test/throw",
          detail: "An unexpected error occurred. Quote the request id when reporting it.",
          requestId: "req-500-test",
        },
        expect,
      );
      expect(JSON.stringify(body)).not.toMatch(/hunter2|\/srv\/internal/);
      const line = logger.entries.find((e) => e.request_id === "req-500-test");
      expect(line).toMatchObject({ level: "error", msg: "request", method: "GET", path: "/__test/throw", status: 500 });
      const err = line!.error as { message: string; stack: string };
      expect(err.message).toContain("hunter2");
      expect(err.stack).toContain("Error");
    });

    it("logs one line per request with method, path, status, duration and request id, e-mails redacted", async () => {
      const { call, logger } = await setup();
      await call("/v1/users/alice@example.com/x?token=abc", { headers: { "X-Request-Id": "req-log-test" } });
      const lines = logger.entries.filter((e) => e.request_id === "req-log-test");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: "info", msg: "request", method: "GET", path: "/v1/users/[email]/x", status: 404 });
      expect(typeof lines[0].duration_ms).toBe("number");
      expect(JSON.stringify(lines)).not.toContain("alice@example.com");
    });
  });
}
