// Waiting reads on Node (test/shared/requests-wait.suite.ts), the whole link with a real import,
// and the per-process bound.
import { describe, expect, it } from "vitest";
import { requestsWaitSuite } from "../shared/requests-wait.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";
import { linkedNetworks } from "../helpers/link.ts";
import { carry, download, exportNow, upload } from "../helpers/transfer.ts";
import { WaitGate } from "../../src/requests/wait.ts";

requestsWaitSuite(nodeRequestsHarness());

describe("waiting reads across the link (Node, libSQL)", () => {
  it("a wait on the replica answers within 1 s of the upload that carries the master's answer", async () => {
    const { master, replica, m, r, tokens } = await linkedNetworks();
    const sub = await r("/v1/requests", { token: tokens.user, body: { topic: "wait", body: { q: "hold on" } } });
    expect(sub.status).toBe(202);
    expect((await carry(replica, master)).map((o) => o.outcome)).toContain("applied");

    const started = Date.now();
    const read = r(`/v1/requests/${sub.body.id}/response?wait=10`, { token: tokens.user }).then((res) => ({ res, at: Date.now() }));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the wait is held meanwhile
    const answered = await m(`/v1/requests/${sub.body.id}/response`, { token: tokens.op, body: { body: { a: "here it is" } } });
    expect(answered.status).toBe(201);
    await exportNow(master);
    const outcomes = [];
    for (const b of await download(master)) outcomes.push((await upload(replica, b.file)).body.outcome);
    const uploaded = Date.now();
    expect(outcomes).toContain("applied");

    const { res, at } = await read;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ request_id: sub.body.id, body: { a: "here it is" } });
    console.log(`node link: answer ${at - uploaded} ms after the upload (${uploaded - started} ms after the wait began)`);
    expect(at - uploaded).toBeLessThan(1000);
  });
});

describe("the per-process bound", () => {
  it("counts every identity's waits; a slot given back twice counts once", () => {
    const gate = new WaitGate({ perIdentity: 2, perProcess: 3 });
    const a1 = gate.enter("a")!;
    const a2 = gate.enter("a")!;
    expect(gate.enter("a")).toBeNull(); // per identity
    const b1 = gate.enter("b")!;
    expect(gate.enter("c")).toBeNull(); // per process
    a1();
    a1();
    expect(gate.inFlight).toBe(2);
    const c1 = gate.enter("c")!;
    expect(c1).toBeTypeOf("function");
    expect(gate.enter("b")).toBeNull();
    for (const leave of [a2, b1, c1]) leave();
    expect(gate.inFlight).toBe(0);
  });
});
