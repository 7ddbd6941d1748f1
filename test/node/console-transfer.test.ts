// The transfer page in Chromium: real batches made by a real peer network (Node, libSQL), uploaded
// to the request network in workerd (real D1, R2) and to the response network on Node.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { type ConsoleNetwork, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";
import { nodeApp, tempDir } from "../helpers/node-app.ts";
import { COURIER, download, exportNow, type Net } from "../helpers/transfer.ts";
import { rawOutbox } from "../helpers/link.ts";
import { sha256Hex } from "../../src/lib/crypto.ts";

/** The console's form limit with the test settings (AIRLOCK_MAX_BODY_BYTES 4096): 4096 × 3 + 8192. */
const FORM_LIMIT = 4096 * 3 + 8192;

/** A batch from `peer` carrying `n` users with random (incompressible) fields, so the file is larger than any form. */
async function userBatch(peer: Net, n: number) {
  const ids: string[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    const id = `usr_T${String(i).padStart(4, "0")}${randomBytes(4).toString("hex").toUpperCase()}`;
    ids.push(id);
    const email = `${id.toLowerCase()}@example.com`;
    await rawOutbox(peer, "user", id, 1, {
      id,
      email,
      emailNormalized: email,
      name: randomBytes(100).toString("base64").slice(0, 120),
      role: "user",
      status: "active",
      passwordHash: randomBytes(300).toString("base64"),
      rateLimits: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
  }
  await exportNow(peer);
  const batches = await download(peer);
  return { ids, file: batches.at(-1)!.file, sequence: batches.at(-1)!.sequence };
}

async function uploadFile(page: Page, path: string) {
  await page.getByLabel("Batch file").setInputFiles(path);
  await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: "Upload and verify" }).click()]);
  await page.waitForLoadState();
}

describe("transfer page on the request network in workerd (real D1 and R2), in Chromium", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let peer: Net;
  let dir: string;
  beforeAll(async () => {
    net = await startConsoleNetwork("request", { runtime: "workerd" });
    peer = await nodeApp({ NETWORK_ROLE: "response" });
    browser = await launchChromium();
    dir = await tempDir();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("refuses a tampered batch with the reason and writes nothing, applies a valid one larger than any form, downloads the exact bytes", async () => {
    const admin = await net.seedUser({ role: "admin" });
    const { ids, file, sequence } = await userBatch(peer, 60);
    expect(file.length).toBeGreaterThan(FORM_LIMIT);
    const page = await signIn(browser, net, admin.email, { next: "/console/transfer" });
    expect(await page.locator("h1").textContent()).toBe("Transfer");

    // Not a batch at all: refused before anything is stored.
    await writeFile(join(dir, "notes.txt"), "hello");
    await uploadFile(page, join(dir, "notes.txt"));
    expect(await page.locator(".field-error").textContent()).toMatch(/^Refused, nothing stored: /);
    expect(await net.sql("select count(*) as n from batches_in")).toEqual([{ n: 0 }]);

    // Tampered (one byte of the sealed body changed): stored, quarantined with the reason, nothing applied.
    const bad = new Uint8Array(file);
    bad[bad.length - 20] ^= 0xff;
    await writeFile(join(dir, "tampered.batch"), bad);
    await uploadFile(page, join(dir, "tampered.batch"));
    const refused = await net.sql("select id, outcome, reason from batches_in");
    expect(refused).toEqual([{ id: expect.stringMatching(/^rcv_/), outcome: "quarantined", reason: expect.any(String) }]);
    const alert = await page.getByRole("alert").textContent();
    expect(alert).toContain(`Upload of tampered.batch: batch quarantined (receipt ${refused[0].id}): ${String(refused[0].reason).slice(0, 100)}`);
    expect(await net.sql(`select count(*) as n from users where id in (${ids.map(() => "?").join(",")})`, ...ids)).toEqual([{ n: 0 }]);
    const row = page.locator("section[aria-label='Received batches, newest first'] tbody tr").first();
    expect(await row.locator("td").nth(1).textContent()).toBe("quarantined");
    expect(await row.locator("td").nth(2).textContent()).toBe(refused[0].reason);
    await expectAccessible(page);
    await screenshot(page, "transfer-request-refused-1280");

    // Retry the quarantined file: judged again, still refused, one more attempt recorded.
    await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: `Retry receipt ${refused[0].id}` }).click()]);
    expect(await page.getByRole("alert").textContent()).toContain(`Retry: batch quarantined (receipt ${refused[0].id})`);
    expect(await net.sql("select outcome, attempts from batches_in")).toEqual([{ outcome: "quarantined", attempts: 2 }]);

    // The real batch, larger than the form limit: applied at once, its records in D1.
    await writeFile(join(dir, "good.batch"), file);
    await uploadFile(page, join(dir, "good.batch"));
    expect(await page.getByRole("status").textContent()).toMatch(new RegExp(`^Upload of good\\.batch: batch #${sequence} applied \\(receipt rcv_\\w+\\)\\.$`));
    expect(await net.sql(`select count(*) as n from users where id in (${ids.map(() => "?").join(",")})`, ...ids)).toEqual([{ n: ids.length }]);
    expect(await net.sql("select outcome, sequence, bytes from batches_in where outcome = 'applied'")).toEqual([{ outcome: "applied", sequence, bytes: file.length }]);
    expect(await page.locator("#since-import").textContent()).toMatch(/^\d+ s$|^0 s$/);

    // Any other form that large is refused (the upload's limit is its own).
    const html = await page.content();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const big = await page.request.post(`${net.url}/console/transfer/retry`, {
      form: { _csrf: csrf, receipt: "x".repeat(FORM_LIMIT) },
      headers: { origin: net.url },
      maxRedirects: 0,
    });
    expect(big.status()).toBe(413);
    expect(await big.text()).toContain("payload_too_large");

    // This network's own batch (it acknowledges the one applied): downloaded from the page, byte for byte the API's.
    const exported = await fetch(`${net.url}/v1/transfer/export`, { method: "POST", headers: { ...COURIER, "content-type": "application/json" }, body: "{}" });
    expect(exported.status).toBe(200);
    await page.goto(`${net.url}/console/transfer`);
    const link = page.getByRole("link", { name: /^Download batch #1$/ });
    const href = (await link.getAttribute("href"))!;
    const viaPage = new Uint8Array(await (await page.request.get(`${net.url}${href}`)).body());
    const viaApi = new Uint8Array(await (await fetch(`${net.url}/v1/transfer/outbox/${href.split("/").pop()}`, { headers: COURIER })).arrayBuffer());
    expect(viaPage.length).toBeGreaterThan(0);
    expect(Buffer.from(viaPage).equals(Buffer.from(viaApi))).toBe(true);
    const [out] = await net.sql("select file_sha256 from batches_out where sequence = 1");
    expect(await sha256Hex(viaPage)).toBe(out.file_sha256);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toMatch(/\.batch$/);
    await expectAccessible(page);
    await screenshot(page, "transfer-request-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await expectAccessible(page);
    await screenshot(page, "transfer-request-360");
    await page.context().close();
  }, 90_000);

  it("operators and users see a 403 page naming the roles (as the transfer API)", async () => {
    const op = await net.seedUser({ role: "operator" });
    const page = await signIn(browser, net, op.email);
    const res = await page.goto(`${net.url}/console/transfer`);
    expect(res!.status()).toBe(403);
    expect(await page.locator("main").textContent()).toContain("Transfer needs the role admin or courier");
    await page.context().close();
  });
});

describe("transfer page on the response network on Node (libSQL file), in Chromium", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let peer: Net;
  beforeAll(async () => {
    net = await startConsoleNetwork("response");
    peer = await nodeApp({ NETWORK_ROLE: "request" });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("retries a quarantined batch (applied, its records written) and an outgoing dead letter (requeued)", async () => {
    const admin = await net.seedUser({ role: "admin" });
    const s = net.services!;
    // A genuine batch from the request network, set aside here (as when the peer's key was not configured yet).
    await rawOutbox(peer, "request", "req_retry", 1, {
      id: "req_retry",
      user_id: admin.id,
      api_key_id: null,
      topic: "retried",
      body: { q: 1 },
      priority: 0,
      created_at: new Date().toISOString(),
      cancelled_at: null,
      version: 1,
    });
    await exportNow(peer);
    const file = (await download(peer)).at(-1)!.file;
    await s.batches.put("quarantine", "rcv_01JTESTQUARANTINED0000000.batch", file);
    await net.sql(
      "insert into batches_in (id, file_name, file_sha256, bytes, outcome, reason, received_at) values ('rcv_01JTESTQUARANTINED0000000', 'from-peer.batch', ?, ?, 'quarantined', 'signed with an unknown key', ?)",
      await sha256Hex(file),
      file.length,
      new Date().toISOString(),
    );
    const [u] = await net.sql("select * from users where id = ?", admin.id);
    const data = {
      id: u.id,
      email: u.email,
      emailNormalized: u.email_normalized,
      name: u.name,
      role: u.role,
      status: u.status,
      passwordHash: u.password_hash,
      rateLimits: null,
      version: 1,
      createdAt: u.created_at,
      updatedAt: u.updated_at,
    };
    const record = { kind: "user", id: admin.id, version: 1, data };
    await net.sql(
      "insert into dead_letters (id, side, kind, record_id, record_version, record, reason, status, created_at) values ('dl_out_1', 'out', 'user', ?, 1, ?, 'too large to send', 'open', ?)",
      admin.id,
      JSON.stringify(record),
      new Date().toISOString(),
    );
    const page = await signIn(browser, net, admin.email, { next: "/console/transfer" });
    expect(await page.locator("section[aria-label='Received batches, newest first'] tbody tr td:nth-child(3)").first().textContent()).toBe("signed with an unknown key");
    await expectAccessible(page);
    await screenshot(page, "transfer-response-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, "transfer-response-360");

    await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: "Retry receipt rcv_01JTESTQUARANTINED0000000" }).click()]);
    expect(await page.getByRole("status").textContent()).toBe("Retry: batch #1 applied (receipt rcv_01JTESTQUARANTINED0000000).");
    expect(await net.sql("select outcome, attempts, sequence from batches_in")).toEqual([{ outcome: "applied", attempts: 2, sequence: 1 }]);
    expect(await net.sql("select id, topic, status from requests")).toEqual([{ id: "req_retry", topic: "retried", status: "received" }]);

    // (Signing in already queued one user record: the login upgraded the fixture's cheap password hash.)
    const queued = async () => Number((await net.sql("select count(*) as n from outbox where kind = 'user' and entity_id = ?", admin.id))[0].n);
    const before = await queued();
    await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: "Retry dead letter dl_out_1" }).click()]);
    expect(await page.getByRole("status").textContent()).toBe(`Dead letter dl_out_1 (user ${admin.id}) requeued.`);
    expect(await net.sql("select status, resolved_by from dead_letters")).toEqual([{ status: "requeued", resolved_by: admin.id }]);
    expect(await queued()).toBe(before + 1);
    expect(await net.sql("select actor_id from audit_log where action = 'transfer.dead_letter.retry'")).toEqual([{ actor_id: admin.id }]);
    await page.context().close();
  }, 90_000);

  it("a courier may retry batches but not dead letters (admins only, as the API)", async () => {
    const courier = await net.seedUser({ role: "courier" });
    const page = await signIn(browser, net, courier.email, { next: "/console/transfer" });
    expect(await page.locator("h1").textContent()).toBe("Transfer");
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.content())![1];
    const res = await page.request.post(`${net.url}/console/transfer/retry-dead-letter`, { form: { _csrf: csrf, id: "dl_out_1" }, headers: { origin: net.url }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain("this needs one of the roles: admin");
    expect(await net.sql("select status from dead_letters")).toEqual([{ status: "requeued" }]);
    await page.context().close();
  });
});
