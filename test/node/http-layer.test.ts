import { describe, expect, it } from "vitest";
import { httpLayerSuite } from "../shared/http-layer.suite.ts";
import { nodeApp } from "../helpers/node-app.ts";

httpLayerSuite({ runtime: "node", app: (extend, o) => nodeApp(o?.role ? { NETWORK_ROLE: o.role } : {}, extend) });

describe("CORS (configurable)", () => {
  it("is off by default: no CORS headers", async () => {
    const { app } = await nodeApp();
    const res = await app.request("/health", { headers: { origin: "https://app.example.com" } }, {});
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows the configured origins only, with preflight and exposed headers", async () => {
    const { app } = await nodeApp({ AIRLOCK_CORS_ORIGINS: "https://app.example.com" });
    const pre = await app.request(
      "/v1/requests",
      {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key" },
      },
      {},
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("idempotency-key");
    const res = await app.request("/health", { headers: { origin: "https://app.example.com" } }, {});
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Cache");
    const other = await app.request("/health", { headers: { origin: "https://evil.example" } }, {});
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
