import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium } from "../helpers/browser.ts";
import { startNodeServer, type RunningServer } from "../../src/runtime/node-server.ts";
import { TEST_ENV, tempDir } from "../helpers/node-app.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";

describe("interactive API reference in Chromium", () => {
  let browser: Browser;
  let server: RunningServer;
  beforeAll(async () => {
    server = await startNodeServer({ ...TEST_ENV, NETWORK_ROLE: "response", AIRLOCK_DATA_DIR: await tempDir(), PORT: "0" }, { scheduler: false, logger: new MemoryLogger() });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("GET /docs renders the operations of /openapi.json from local assets, offline", async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url)) external.push(r.url());
    });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector(".opblock-summary-path", { timeout: 20_000 });
    const paths = await page.$$eval(".opblock-summary-path", (els) => els.map((e) => e.getAttribute("data-path") ?? e.textContent));
    expect(paths).toEqual(expect.arrayContaining(["/health", "/v1/meta", "/v1/auth/token", "/v1/admin/users", "/v1/transfer/inbox"]));
    expect(await page.textContent(".info .title")).toContain("Airlock API");
    expect(external).toEqual([]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: `${await tempDir()}/docs.png` });
  }, 60_000);
});
