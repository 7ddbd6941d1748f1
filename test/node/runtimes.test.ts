import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, run } from "../helpers/spawn.ts";
import { TEST_ENV, tempDir } from "../helpers/node-app.ts";

const DENO = join(ROOT, "node_modules/.bin/deno");
const DENO_ARGS = ["run", "--node-modules-dir=manual", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi", "--allow-sys", "src/runtime/deno.ts"];
const TSX = join(ROOT, "node_modules/.bin/tsx");

describe("runtimes", () => {
  it("Deno smoke test: boots the server on libSQL and answers /health and /v1/meta", async () => {
    const dir = await tempDir();
    const p = run(DENO, DENO_ARGS, { ...TEST_ENV, NETWORK_ROLE: "response", AIRLOCK_DATA_DIR: dir, PORT: "0", DENO_NO_UPDATE_CHECK: "1" });
    try {
      const line = await p.waitForLine((l) => l.msg === "listening", 60_000);
      expect(line).toMatchObject({ runtime: "deno", role: "response" });
      const url = String(line.url);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      const meta = await fetch(`${url}/v1/meta`);
      expect(await meta.json()).toMatchObject({ name: "airlock", role: "response", runtime: "deno", schema_version: expect.stringMatching(/^\d{4}_[a-z_]+$/) });
      const missing = await fetch(`${url}/nope`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(missing.headers.get("content-type")).toBe("application/problem+json");
    } finally {
      expect(await p.stop()).toBe(0); // SIGINT stops it cleanly
    }
  }, 90_000);

  it("Node entry stops cleanly on SIGINT", async () => {
    const dir = await tempDir();
    const p = run(TSX, ["src/runtime/node.ts"], { ...TEST_ENV, NETWORK_ROLE: "request", AIRLOCK_DATA_DIR: dir, PORT: "0" });
    const line = await p.waitForLine((l) => l.msg === "listening", 60_000);
    const res = await fetch(`${line.url}/v1/meta`, { headers: { "X-Request-Id": "node-real-server-1" } });
    expect(await res.json()).toMatchObject({ role: "request", runtime: "node" });
    expect(res.headers.get("x-request-id")).toBe("node-real-server-1");
    const missing = await fetch(`${line.url}/nope`);
    expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await p.stop()).toBe(0);
  }, 90_000);

  for (const [name, cmd, args] of [
    ["Node", TSX, ["src/runtime/node.ts"]],
    ["Deno", DENO, DENO_ARGS],
  ] as const) {
    it(`${name}: a bad configuration exits non-zero naming the setting`, async () => {
      const p = run(cmd, [...args], { NETWORK_ROLE: "banana", AIRLOCK_COURIER_TOKN: "x", DENO_NO_UPDATE_CHECK: "1" });
      const code = await p.exited;
      expect(code).toBe(2);
      expect(p.output()).toContain('NETWORK_ROLE: expected "request" or "response" (got "banana")');
      expect(p.output()).toContain("AIRLOCK_COURIER_TOKN: unknown setting");
    }, 60_000);
  }
});
