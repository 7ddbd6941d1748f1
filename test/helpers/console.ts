// What console page tests need: a real network on 127.0.0.1 that Chromium can reach, accounts
// on it, a signed-in page, the accessibility check and screenshots.
import { mkdir } from "node:fs/promises";
import { sql } from "drizzle-orm";
import { join } from "node:path";
import { expect } from "vitest";
import type { Browser, Page } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { startNodeServer } from "../../src/runtime/node-server.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import type { Services } from "../../src/services.ts";
import type { Role } from "../../src/identity/roles.ts";
import { hashPassword } from "../../src/identity/password.ts";
import { newId } from "../../src/lib/ids.ts";
import { TEST_ENV, tempDir } from "./node-app.ts";
import { transferEnv } from "./keys.ts";
import { PASSWORD, seedUser } from "./identity-fixtures.ts";
import { startWorker } from "./workerd.ts";
import { ROOT } from "./spawn.ts";

export { launchChromium } from "./browser.ts";
export { PASSWORD };

export interface ConsoleNetwork {
  role: "request" | "response";
  runtime: "node" | "workerd";
  /** http://127.0.0.1:<port>: plain http on loopback, so the console's cookies carry no Secure and no __Host- prefix (src/console/cookies.ts). */
  url: string;
  /** The network's services (Node only; on workerd use `seedUser` and `sql`). */
  services?: Services;
  /** An account straight in the database (password PASSWORD), as an import would write it on the request network. */
  seedUser(o?: { role?: Role; status?: "active" | "disabled"; email?: string; name?: string }): Promise<{ id: string; email: string; role: Role }>;
  /** One SQL statement against the network's database (libSQL file or D1). */
  sql(statement: string, ...args: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/**
 * One network for console tests. Node with a real libSQL file in a temp folder (scheduler off);
 * `runtime: "workerd"` runs the real Worker bundle in workerd (Miniflare, real D1) listening on
 * 127.0.0.1 — the request network only, as in production.
 */
export async function startConsoleNetwork(role: "request" | "response", opts: { runtime?: "node" | "workerd"; env?: Record<string, string> } = {}): Promise<ConsoleNetwork> {
  if (opts.runtime === "workerd") {
    if (role !== "request") throw new Error("workerd runs the request network only");
    const w = await startWorker({ ...TEST_ENV, ...(await transferEnv("request")), ...opts.env }, { serve: true });
    const sql = async (statement: string, ...args: unknown[]) =>
      ((
        await w.d1
          .prepare(statement)
          .bind(...args)
          .all()
      ).results ?? []) as Array<Record<string, unknown>>;
    return {
      role,
      runtime: "workerd",
      url: w.url!,
      sql,
      async seedUser(o = {}) {
        const email = o.email ?? `${o.role ?? "user"}-${crypto.randomUUID().slice(0, 8)}@example.com`;
        const id = newId("usr");
        const now = new Date().toISOString();
        await sql(
          "insert into users (id, email, email_normalized, name, role, status, password_hash, version, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
          id,
          email,
          email.toLowerCase(),
          o.name ?? "Test User",
          o.role ?? "user",
          o.status ?? "active",
          await hashPassword(PASSWORD, { iterations: 1000 }),
          now,
          now,
        );
        return { id, email, role: o.role ?? "user" };
      },
      close: () => w.close(),
    };
  }
  const server = await startNodeServer(
    { ...TEST_ENV, ...(await transferEnv(role)), NETWORK_ROLE: role, AIRLOCK_DATA_DIR: await tempDir(), PORT: "0", HOST: "127.0.0.1", ...opts.env },
    { scheduler: false, logger: new MemoryLogger() },
  );
  const s = server.services;
  return {
    role,
    runtime: "node",
    url: server.url,
    services: s,
    seedUser: async (o = {}) => seedUser(s, o),
    sql: async (statement, ...args) => {
      const q = sql.empty();
      statement.split("?").forEach((part, i) => {
        q.append(sql.raw(part));
        if (i < args.length) q.append(sql`${args[i]}`);
      });
      return s.db.orm.all<Record<string, unknown>>(q);
    },
    close: () => server.close(),
  };
}

/** A page in a fresh browser context (its own cookies; axe needs a context) at `width` px; close with `page.context().close()`. */
export async function newPage(browser: Browser, width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  return context.newPage();
}

/** A fresh page signed in as `email`; it ends on the page sign-in leads to. */
export async function signIn(browser: Browser, net: ConsoleNetwork, email: string, o: { password?: string; width?: number; next?: string } = {}): Promise<Page> {
  const page = await newPage(browser, o.width);
  await page.goto(`${net.url}/console/sign-in${o.next ? `?next=${encodeURIComponent(o.next)}` : ""}`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(o.password ?? PASSWORD);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith("/sign-in")), page.getByRole("button", { name: "Sign in" }).click()]);
  return page;
}

/** axe-core on the page as it is: no serious or critical violation (the message lists them). */
export async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

export const ARTIFACTS = join(ROOT, "test-artifacts", "console");

/** A full-page PNG in test-artifacts/console/<name>.png (gitignored); returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
