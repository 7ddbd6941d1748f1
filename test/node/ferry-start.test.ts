// `npm start`'s wiring of the automatic ferry and its development secrets (scripts/start.ts,
// scripts/dev-secrets.ts). The batches themselves crossing the gap are the end-to-end test's job.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../helpers/spawn.ts";
import { loadConfig } from "../../src/config.ts";
import { devSecretEnv, loadOrCreateDevSecrets } from "../../scripts/dev-secrets.ts";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airlock-ferry-start-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("development secrets", () => {
  it("are generated once (mode 0600), reused, accepted by both networks' settings, and a damaged file is refused", async () => {
    const dir = join(tmp, "secrets");
    const first = await loadOrCreateDevSecrets(dir);
    expect(first.created).toBe(true);
    expect((await stat(first.file)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateDevSecrets(dir);
    expect(again.created).toBe(false);
    expect(again.request).toEqual(first.request);
    expect(first.request.courierToken).not.toBe(first.response.courierToken);
    expect(first.request.jwtSecret).not.toBe(first.response.jwtSecret);
    for (const role of ["request", "response"] as const) {
      const config = loadConfig({ ...devSecretEnv(first, role), NETWORK_ROLE: role });
      expect(config.courierToken).toBe(first[role].courierToken);
      expect(JSON.parse(config.transfer.peerPublicKeys!)).toEqual([JSON.parse(first[role === "request" ? "response" : "request"].publicKey)]);
    }
    await writeFile(first.file, "{}");
    await expect(loadOrCreateDevSecrets(dir)).rejects.toThrow(/damaged.*delete it/);
  });
});

describe("npm start", { timeout: 90_000 }, () => {
  const env = (dataDir: string, extra: Record<string, string> = {}) => ({
    AIRLOCK_DATA_DIR: dataDir,
    AIRLOCK_REQUEST_PORT: "0",
    AIRLOCK_RESPONSE_PORT: "0",
    AIRLOCK_FERRY_INTERVAL_SECONDS: "0.5",
    ...extra,
  });

  it("starts the automatic ferry (a launcher setting the networks never see) and stops it cleanly on Ctrl-C", async () => {
    const dataDir = join(tmp, "on");
    const p = run("node_modules/.bin/tsx", ["scripts/start.ts"], env(dataDir));
    try {
      const started = await p.waitForLine((l) => l.msg === "ferry started", 60_000);
      expect(started.interval_ms).toBe(500);
      // Rounds run: both outboxes are listed with the courier tokens.
      await p.waitForLine((l) => l.msg === "request" && l.path === "/v1/transfer/outbox" && l.auth === "courier" && l.role === "response", 30_000);
      await p.waitForLine((l) => l.msg === "request" && l.path === "/v1/transfer/outbox" && l.auth === "courier" && l.role === "request", 30_000);
    } finally {
      expect(await p.stop()).toBe(0);
    }
    const out = p.output();
    expect(out).toMatch(/"msg":"ferry stopped"/);
    expect(out.indexOf('"msg":"ferry stopped"')).toBeLessThan(out.lastIndexOf('"msg":"scheduler stopped"'));
    const secrets = JSON.parse(await readFile(join(dataDir, "dev-secrets.json"), "utf8"));
    for (const role of ["request", "response"]) {
      expect(out).not.toContain(secrets[role].courierToken);
      expect(out).not.toContain(secrets[role].jwtSecret);
    }
  });

  it("AIRLOCK_AUTO_FERRY=0 leaves the carrying to a person; a bad interval is refused by name", async () => {
    const p = run("node_modules/.bin/tsx", ["scripts/start.ts"], env(join(tmp, "off"), { AIRLOCK_AUTO_FERRY: "0" }));
    try {
      await p.waitForLine((l) => l.msg === "listening" && l.role === "request", 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(p.output()).toMatch(/automatic ferry off/);
      expect(p.output()).not.toMatch(/"msg":"ferry started"/);
    } finally {
      expect(await p.stop()).toBe(0);
    }
    const bad = run("node_modules/.bin/tsx", ["scripts/start.ts"], env(join(tmp, "bad"), { AIRLOCK_FERRY_INTERVAL_SECONDS: "soon" }));
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/AIRLOCK_FERRY_INTERVAL_SECONDS: expected a number of seconds/);
  });
});
