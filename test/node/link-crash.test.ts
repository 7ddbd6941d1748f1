// A crash at each step of export and import (an error thrown at that point, as a killed process
// would stop there) leaves a state the next run continues from: nothing lost, nothing applied twice.
import { describe, expect, it } from "vitest";
import { count, eq } from "drizzle-orm";
import { batchesIn, batchesOut, requests } from "../../schema/index.ts";
import { COURIER, download, exportNow, upload, type Net } from "../helpers/transfer.ts";
import { linkedNetworks } from "../helpers/link.ts";

/** Makes the next call of `obj[method]` matching `when` throw, once. */
function failOnce<T extends object, K extends keyof T>(obj: T, method: K, when: (...args: any[]) => boolean = () => true) {
  const original = (obj[method] as any).bind(obj);
  let armed = true;
  (obj as any)[method] = async (...args: any[]) => {
    if (armed && when(...args)) {
      armed = false;
      throw new Error(`injected crash in ${String(method)}`);
    }
    return original(...args);
  };
  return () => armed;
}
const importRun = async (n: Net) => (await (await n.app.request("/v1/transfer/import", { method: "POST", headers: COURIER }, {})).json()) as any;
const requestsOn = async (n: Net) => (await n.services.db.orm.select({ n: count() }).from(requests).get())!.n;

async function withOneRequest() {
  const net = await linkedNetworks();
  const sub = await net.r("/v1/requests", { token: net.tokens.user, body: { topic: "crash", body: { n: 1 } } });
  expect(sub.status).toBe(202);
  return net;
}

describe("crash-safe at every step", () => {
  it("export: the file was written, the commit did not happen; the next export writes its own file and the orphan is swept", async () => {
    const net = await withOneRequest();
    failOnce(net.replica.services.db, "batch");
    await expect(exportNow(net.replica)).rejects.toThrow();
    expect(await net.replica.services.db.orm.select().from(batchesOut).all()).toEqual([]);
    const out = await exportNow(net.replica);
    expect(out.exported).toHaveLength(1);
    const rows = await net.replica.services.db.orm.select().from(batchesOut).all();
    expect((await net.replica.services.batches.list("outbox")).map((f) => f.name)).toEqual(rows.map((r) => r.fileName));
    for (const b of await download(net.replica)) expect((await upload(net.master, b.file)).body.outcome).toBe("applied");
    expect(await requestsOn(net.master)).toBe(1);
  });

  it("upload: the file was stored, the receipt was not written; the next import run finds it and applies it once", async () => {
    const net = await withOneRequest();
    await exportNow(net.replica);
    const [b] = await download(net.replica);
    // The state a process killed between the two steps leaves: our file, no receipt.
    await net.master.services.batches.put("inbox", "rcv_01JCRASHED0000000000000000.batch", b.file);
    expect(await net.master.services.db.orm.select().from(batchesIn).all()).toEqual([]);
    expect((await net.master.services.batches.list("inbox")).length).toBe(1);
    const run = await importRun(net.master);
    expect(run.results.map((r: any) => r.outcome)).toEqual(["applied"]);
    expect(await requestsOn(net.master)).toBe(1);
    expect((await upload(net.master, b.file)).body.outcome).toBe("replay");
  });

  it("apply: the atomic commit failed; the receipt stays pending and the next run applies it exactly once", async () => {
    const net = await withOneRequest();
    await exportNow(net.replica);
    const [b] = await download(net.replica);
    failOnce(net.master.services.db, "batch", (stmts: unknown[]) => stmts.length > 3);
    const res = await net.master.app.request(
      "/v1/transfer/inbox",
      { method: "POST", headers: { ...COURIER, "content-type": "application/octet-stream" }, body: b.file as Uint8Array<ArrayBuffer> },
      {},
    );
    expect(res.status).toBe(500);
    expect(await requestsOn(net.master)).toBe(0);
    expect((await net.master.services.db.orm.select().from(batchesIn).all()).map((r) => r.outcome)).toEqual(["pending"]);
    expect((await importRun(net.master)).results.map((r: any) => r.outcome)).toEqual(["applied"]);
    expect(await requestsOn(net.master)).toBe(1);
    expect((await importRun(net.master)).results).toEqual([]);
  });

  it("after the commit: the inbox copy could not be removed; the next run removes it and applies nothing twice", async () => {
    const net = await withOneRequest();
    await exportNow(net.replica);
    const [b] = await download(net.replica);
    failOnce(net.master.services.batches, "delete", (area: string) => area === "inbox");
    const res = await net.master.app.request(
      "/v1/transfer/inbox",
      { method: "POST", headers: { ...COURIER, "content-type": "application/octet-stream" }, body: b.file as Uint8Array<ArrayBuffer> },
      {},
    );
    expect(res.status).toBe(500);
    expect(await requestsOn(net.master)).toBe(1);
    expect((await net.master.services.batches.list("inbox")).length).toBe(1);
    expect((await importRun(net.master)).results).toEqual([]);
    expect((await net.master.services.batches.list("inbox")).length).toBe(0);
    expect(await requestsOn(net.master)).toBe(1);
  });

  it("quarantine: copied aside, but the receipt was not updated; the next run quarantines it again, one copy, nothing lost", async () => {
    const net = await withOneRequest();
    await exportNow(net.replica);
    const [b] = await download(net.replica);
    const bad = b.file.slice();
    bad[bad.length - 5] ^= 1;
    failOnce(net.master.services.db, "batch");
    const res = await net.master.app.request(
      "/v1/transfer/inbox",
      { method: "POST", headers: { ...COURIER, "content-type": "application/octet-stream" }, body: bad as Uint8Array<ArrayBuffer> },
      {},
    );
    expect(res.status).toBe(500);
    expect((await net.master.services.batches.list("quarantine")).length).toBe(1);
    expect((await importRun(net.master)).results.map((r: any) => r.outcome)).toEqual(["quarantined"]);
    expect((await net.master.services.batches.list("quarantine")).length).toBe(1);
    expect((await net.master.services.batches.list("inbox")).length).toBe(0);
    // Retry: copied back, then the judgement failed to commit; the retry can simply be asked again.
    const [q] = await net.master.services.db.orm.select().from(batchesIn).where(eq(batchesIn.outcome, "quarantined")).all();
    failOnce(net.master.services.db, "batch");
    expect((await net.master.app.request(`/v1/transfer/batches/${q.id}/retry`, { method: "POST", headers: COURIER }, {})).status).toBe(500);
    await importRun(net.master);
    const again = (await (await net.master.app.request(`/v1/transfer/batches/${q.id}/retry`, { method: "POST", headers: COURIER }, {})).json()) as any;
    expect(again.outcome).toBe("quarantined");
    expect((await net.master.services.batches.list("quarantine")).length).toBe(1);
    expect((await upload(net.master, b.file)).body.outcome).toBe("applied");
    expect(await requestsOn(net.master)).toBe(1);
  });
});
