// An idle link still shows it is alive: each network sends an empty batch when it has sent nothing
// for the heartbeat interval, the peer records when it last heard, and never answers a heartbeat.
import { describe, expect, it } from "vitest";
import { batchesOut, transferState } from "../../schema/index.ts";
import { createApp } from "../../src/app.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { STATE } from "../../src/transfer/state.ts";
import { nodeServices } from "../helpers/node-app.ts";
import { download, exportNow, upload, type Net } from "../helpers/transfer.ts";
import { caller, statusOf } from "../helpers/link.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";

const MIN = 60_000;

async function pair(heartbeat: string) {
  const clock = new ManualClock(new Date());
  const net = async (role: string): Promise<Net> => {
    const services = await nodeServices({ NETWORK_ROLE: role, AIRLOCK_HEARTBEAT_MINUTES: heartbeat }, { clock });
    return { app: createApp(services), services };
  };
  return { clock, master: await net("response"), replica: await net("request") };
}

const sent = (n: Net) => n.services.db.orm.select().from(batchesOut).orderBy(batchesOut.sequence).all();
const stateOf = async (n: Net, key: string) => (await n.services.db.orm.select().from(transferState).all()).find((r) => r.key === key)?.value;

/** Carries every listed batch of `from` to `to`; returns the outcomes. */
async function deliver(from: Net, to: Net) {
  const out = [];
  for (const b of await download(from)) out.push((await upload(to, b.file)).body.outcome);
  return out;
}

describe("heartbeat", () => {
  it("an idle network sends one empty batch per interval; the peer hears it and does not answer it", async () => {
    const { clock, master, replica } = await pair("60");
    expect((await exportNow(master)).exported).toEqual([]); // the master's interval starts here
    clock.advance(30 * MIN);
    expect((await exportNow(replica)).exported).toEqual([]); // and the replica's half an hour later

    clock.advance(29 * MIN);
    expect((await exportNow(master)).exported).toEqual([]);
    clock.advance(1 * MIN); // 60 minutes of silence on the master
    const beat = (await exportNow(master)).exported;
    expect(beat).toHaveLength(1);
    expect(beat[0]).toMatchObject({ sequence: 1, records: 0 });
    expect((await exportNow(master)).exported).toEqual([]); // one per interval, not one per run
    expect((await sent(master)).map((b) => [b.sequence, b.records])).toEqual([[1, 0]]);

    // Carried, it updates when the replica last heard from the master…
    const heardAt = clock.now().toISOString();
    expect(await deliver(master, replica)).toEqual(["applied"]);
    expect((await statusOf(replica)).peer).toMatchObject({ last_heard_at: heardAt, seconds_since_heard: 0, heartbeat_minutes: 60, late: false });
    // …and owes no acknowledgement: the replica's next export is empty (no echo).
    expect(await stateOf(replica, STATE.inLastWithRecords)).toBeUndefined();
    expect((await exportNow(replica)).exported).toEqual([]);
    expect(await sent(replica)).toEqual([]);

    // Until its own interval has passed: then it beats once, and the master does not answer either.
    clock.advance(29 * MIN);
    expect((await exportNow(replica)).exported).toEqual([]);
    clock.advance(1 * MIN);
    expect((await exportNow(replica)).exported).toMatchObject([{ sequence: 1, records: 0 }]);
    expect(await deliver(replica, master)).toEqual(["applied"]);
    expect((await statusOf(master)).peer).toMatchObject({ last_heard_at: clock.now().toISOString(), late: false });
    expect((await exportNow(master)).exported).toEqual([]);
    expect((await sent(master)).length).toBe(1);
    expect((await sent(replica)).length).toBe(1);
    // The replica's heartbeat carried the ack of the master's: neither is left listed for long.
    expect((await sent(master))[0].acknowledgedAt).toBe(clock.now().toISOString());

    // A peer silent for more than twice the interval is late.
    clock.advance(121 * MIN);
    expect((await statusOf(master)).peer).toMatchObject({ seconds_since_heard: 121 * 60, late: true });
  });

  it("with traffic no heartbeat is added; the interval counts from the last batch of any kind", async () => {
    const { clock, master, replica } = await pair("60");
    expect((await exportNow(master)).exported).toEqual([]);
    expect((await exportNow(replica)).exported).toEqual([]);
    clock.advance(40 * MIN);
    const admin = await seedSession(master.services, { role: "admin" });
    const made = await caller(master)("/v1/admin/users", {
      token: admin.tokens.access_token,
      body: { email: "u@example.com", name: "U", role: "user", password: "a long enough password" },
    });
    expect(made.status).toBe(201);
    const work = (await exportNow(master)).exported;
    expect(work).toHaveLength(1);
    expect(work[0].records).toBeGreaterThan(0);
    expect(await deliver(master, replica)).toEqual(["applied"]);
    // The replica acknowledges records (that batch is the ack, not a heartbeat)…
    expect((await exportNow(replica)).exported).toMatchObject([{ records: 0 }]);
    expect(await deliver(replica, master)).toEqual(["applied"]);
    expect((await exportNow(master)).exported).toEqual([]);

    // …and 60 minutes after the master's work batch (100 after it started) the master beats: not at 60.
    clock.advance(20 * MIN);
    expect((await exportNow(master)).exported).toEqual([]);
    clock.advance(39 * MIN);
    expect((await exportNow(master)).exported).toEqual([]);
    clock.advance(1 * MIN);
    expect((await exportNow(master)).exported).toMatchObject([{ records: 0 }]);
    expect((await sent(master)).map((b) => b.records > 0)).toEqual([true, false]);
  });

  it("AIRLOCK_HEARTBEAT_MINUTES=0 turns it off", async () => {
    const { clock, master, replica } = await pair("0");
    expect((await exportNow(master)).exported).toEqual([]);
    clock.advance(7 * 24 * 60 * MIN);
    expect((await exportNow(master)).exported).toEqual([]);
    expect((await exportNow(replica)).exported).toEqual([]);
    expect(await sent(master)).toEqual([]);
    expect(await stateOf(master, STATE.outIdleSince)).toBeUndefined();
    expect((await statusOf(replica)).peer).toMatchObject({ last_heard_at: null, seconds_since_heard: null, heartbeat_minutes: 0, late: null });
  });
});
