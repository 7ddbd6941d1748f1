// 1,000 requests through a ferry that drops, duplicates, reorders, truncates and
// bit-flips batch files, re-signs one with a wrong key, sends one to the wrong
// network and replays old ones; meanwhile poison records (what a buggy or newer
// release might write) become dead letters, and a batch the master quarantines for
// a record the replica does not own is superseded by the replica's admin. Every request must be answered exactly once,
// nothing lost or duplicated, every fault reported, and after every single
// upload each database must hold exactly the union of the batches it applied.
import { describe, expect, it } from "vitest";
import { count, eq } from "drizzle-orm";
import { auditLog, deadLetters, outbox, requests, responses } from "../../schema/index.ts";
import { nodeApp } from "../helpers/node-app.ts";
import { COURIER, carry, download, exportNow, type Net } from "../helpers/transfer.ts";
import { testKeys } from "../helpers/keys.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import { buildBatch, decodeBatchFile, generateSigningKey, verifyBatch, parseEncryptionKeys, parsePeerKeys, type BatchRecord } from "../../src/transfer/batch/index.ts";

const SEED = Number(process.env.FAULT_SEED ?? 20261121);
const TOTAL = 1000;
const PER_ROUND = 100;

/** mulberry32: a small seeded PRNG, so a failure can be replayed with FAULT_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Fault = "truncate" | "bitflip" | "wrong-key" | "wrong-network" | "duplicate" | "replay";
const LIMITS = {
  AIRLOCK_BATCH_MAX_RECORDS: "40",
  AIRLOCK_RATE_LIMITS: JSON.stringify({
    user: { minute: 100000, hour: 100000, day: 100000 },
    operator: { minute: 100000, hour: 100000, day: 100000 },
    courier: { minute: 100000, hour: 100000, day: 100000 },
    admin: { minute: 100000, hour: 100000, day: 100000 },
  }),
};

describe("fault injection", () => {
  it(`1,000 requests through a faulty ferry are answered exactly once (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const master: Net = await nodeApp({ NETWORK_ROLE: "response", ...LIMITS });
    const replica: Net = await nodeApp({ NETWORK_ROLE: "request", ...LIMITS });
    const keys = await testKeys();
    const peerKeysOf = { response: await parsePeerKeys([keys.request.publicJwk]), request: await parsePeerKeys([keys.response.publicJwk]) };
    const openingKeysOf = {
      response: (await parseEncryptionKeys([keys.response.encryption.privateJwk])).opening,
      request: (await parseEncryptionKeys([keys.request.encryption.privateJwk])).opening,
    };

    // A user and an operator on the master, carried once without faults.
    const admin = await seedSession(master.services, { role: "admin" });
    const post = (n: Net, path: string, token: string, body: unknown) =>
      n.app.request(path, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) }, {});
    for (const [email, role] of [
      ["u@example.com", "user"],
      ["op@example.com", "operator"],
    ]) {
      expect((await post(master, "/v1/admin/users", admin.tokens.access_token, { email, name: role, role, password: "fault test password" })).status).toBe(201);
    }
    await carry(master, replica);
    const loginOn = async (n: Net, email: string) =>
      (
        (await (
          await n.app.request(
            "/v1/auth/token",
            { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "fault test password" }) },
            {},
          )
        ).json()) as { access_token: string }
      ).access_token;
    const userToken = await loginOn(replica, "u@example.com");
    const userId = ((await (await replica.app.request("/v1/me", { headers: { authorization: `Bearer ${userToken}` } }, {})).json()) as { id: string }).id;
    const replicaAdmin = await seedSession(replica.services, { role: "admin" });
    const opToken = await loginOn(master, "op@example.com");

    // What each side applied, from the files it answered "applied" for (records read back from the verified file).
    const appliedRequestIds = new Set<string>(); // on the master
    const appliedResponseIds = new Set<string>(); // on the replica
    const faults: Array<{ fault: Fault; outcome: string; direction: string }> = [];
    const outcomes: Record<string, number> = {};
    const archive: Array<{ to: Net; file: Uint8Array }> = [];
    let wrongKeyDone = false;
    let wrongNetworkDone = false;

    const recordsOf = async (file: Uint8Array, to: Net): Promise<BatchRecord[]> => {
      const v = await verifyBatch(file, {
        expectedDestination: to.services.config.networkId,
        peerKeys: peerKeysOf[to.services.config.role],
        openingKeys: openingKeysOf[to.services.config.role],
        now: new Date(),
      });
      if (!v.ok) throw new Error(`an applied file does not verify: ${v.reason}`);
      return v.records;
    };
    const checkInvariant = async () => {
      const m = (await master.services.db.orm.select({ n: count() }).from(requests).get())!.n;
      const r = (await replica.services.db.orm.select({ n: count() }).from(responses).get())!.n;
      expect(m, "master holds exactly the requests of the batches it applied").toBe(appliedRequestIds.size);
      expect(r, "replica holds exactly the responses of the batches it applied").toBe(appliedResponseIds.size);
    };
    const upload = async (to: Net, file: Uint8Array, fault?: Fault, direction = "") => {
      const res = await to.app.request(
        "/v1/transfer/inbox",
        { method: "POST", headers: { ...COURIER, "content-type": "application/octet-stream" }, body: file as Uint8Array<ArrayBuffer> },
        {},
      );
      const body = (await res.json()) as { outcome?: string; code?: string };
      const outcome = res.status === 200 ? body.outcome! : `http_${res.status}:${body.code}`;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (fault) faults.push({ fault, outcome, direction });
      // Held batches apply later, when their gap fills: account for every receipt applied so far.
      if (outcome === "applied" || outcome === "replay" || outcome === "held") await refreshApplied(to);
      if (outcome === "applied") archive.push({ to, file });
      await checkInvariant();
      return outcome;
    };
    const seenReceipts = new Set<string>();
    const filesByReceipt = new Map<string, Uint8Array>();
    // The importer reports held batches it applies later in its own listing; read the files we sent for them.
    const refreshApplied = async (to: Net) => {
      const list = (await (await to.app.request("/v1/transfer/batches?outcome=applied&limit=200", { headers: COURIER }, {})).json()) as {
        items: Array<{ receipt_id: string; sha256: string }>;
      };
      if (!list.items) throw new Error(`listing failed: ${JSON.stringify(list)}`);
      for (const item of list.items) {
        if (seenReceipts.has(item.receipt_id)) continue;
        seenReceipts.add(item.receipt_id);
        const file = filesByReceipt.get(item.sha256);
        if (!file) throw new Error(`applied a file this test never sent (${item.sha256})`);
        for (const r of await recordsOf(file, to)) {
          if (r.kind === "request" && !poisoned.has(r.id)) appliedRequestIds.add(r.id); // poison: a dead letter, never a row
          if (r.kind === "response") appliedResponseIds.add(r.id);
        }
      }
    };
    const sha = async (b: Uint8Array) =>
      [...new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>))].map((x) => x.toString(16).padStart(2, "0")).join("");

    /** One faulty courier trip from → to. */
    const faultyTrip = async (from: Net, to: Net, direction: string) => {
      await exportNow(from);
      let files = (await download(from)).map((f) => f.file);
      for (const f of files) filesByReceipt.set(await sha(f), f);
      if (rand() < 0.5) files = files.sort(() => rand() - 0.5); // reorder
      for (const file of files) {
        const r = rand();
        if (r < 0.15) continue; // dropped: still unacknowledged, so it is carried again in a later trip
        if (r < 0.22) {
          const cut = file.slice(0, Math.max(1, Math.floor(file.length * rand())));
          await upload(to, cut, "truncate", direction);
        } else if (r < 0.29) {
          const flipped = file.slice();
          flipped[Math.floor(rand() * flipped.length)] ^= 1 << Math.floor(rand() * 8);
          await upload(to, flipped, "bitflip", direction);
        }
        await upload(to, file);
        if (rand() < 0.1) await upload(to, file, "duplicate", direction);
      }
      if (archive.length && rand() < 0.3) {
        const old = pick(archive.filter((a) => a.to === to));
        if (old) await upload(to, old.file, "replay", direction);
      }
      if (!wrongKeyDone && files.length) {
        // The same manifest re-signed with a key nobody trusts.
        const decoded = decodeBatchFile(files[0]);
        if (decoded.ok) {
          const rogue = await generateSigningKey();
          const fake = await buildBatch({
            records: [],
            source: from.services.config.networkId,
            destination: to.services.config.networkId,
            sequence: 1,
            prevHash: "0".repeat(64),
            ack: 0,
            ttlMs: 60_000,
            signingKey: rogue,
          });
          await upload(to, fake.file, "wrong-key", direction);
          wrongKeyDone = true;
        }
      }
      if (!wrongNetworkDone && files.length) {
        await upload(from, files[0], "wrong-network", direction); // delivered back to its own sender
        wrongNetworkDone = true;
      }
    };

    // The set-up batches (users only) count as seen.
    for (const side of [master, replica]) {
      const res = await side.app.request("/v1/transfer/batches?limit=200", { headers: COURIER }, {});
      const list = (await res.json()) as { items: Array<{ receipt_id: string }> };
      if (!list.items) throw new Error(JSON.stringify(list));
      for (const item of list.items) seenReceipts.add(item.receipt_id);
    }

    // Straight into the replica's outbox, as a bug would write them: the door's checks never saw them.
    const poisoned = new Set<string>();
    const rawOutbox = (kind: string, id: string, data: Record<string, unknown>) =>
      replica.services.db.orm.insert(outbox).values({ kind, entityId: id, version: 1, payload: JSON.stringify(data), createdAt: new Date().toISOString() });
    const poison = async (round: number) => {
      let deep: unknown = 0;
      for (let i = 0; i < 1800; i++) deep = [deep];
      const base = { user_id: userId, api_key_id: null, topic: "poison", priority: 0, created_at: "2026-01-01T00:00:00.000Z", cancelled_at: null, version: 1 };
      for (const [id, extra] of [
        [`req_poison_deep_${round}`, { body: deep }],
        [`req_poison_prio_${round}`, { body: 1, priority: 12 }],
      ] as const) {
        poisoned.add(id);
        await rawOutbox("request", id, { ...base, id, ...extra });
      }
    };
    let superseded = 0;
    /** The replica's admin supersedes whatever the master reported quarantining, leaving out the record it refused. */
    const supersedeRefused = async () => {
      const status = (await (await replica.app.request("/v1/transfer/status", { headers: COURIER }, {})).json()) as {
        outgoing: { quarantined_by_peer: Array<{ sequence: number }> };
      };
      for (const q of status.outgoing.quarantined_by_peer) {
        const res = await post(replica, `/v1/transfer/outbox/${q.sequence}/supersede`, replicaAdmin.tokens.access_token, {
          omit: [{ kind: "user", id: "usr_not_ours" }],
          reason: "a record the replica does not own",
        });
        expect(res.status, await res.clone().text()).toBe(200);
        superseded++;
      }
    };

    let submitted = 0;
    const answered = new Set<string>();
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < PER_ROUND && submitted < TOTAL; i++, submitted++) {
        const res = await post(replica, "/v1/requests", userToken, { topic: "fault", body: { n: submitted } });
        expect(res.status).toBe(202);
      }
      if (round === 1 || round === 4) await poison(round);
      if (round === 2) await rawOutbox("user", "usr_not_ours", { id: "usr_not_ours" }); // its whole batch is quarantined (ownership)
      await faultyTrip(replica, master, "r→m");
      // The operator answers everything received, each request once.
      for (;;) {
        const q = (await (await master.app.request("/v1/queue?limit=200", { headers: { authorization: `Bearer ${opToken}` } }, {})).json()) as { items: Array<{ id: string }> };
        const todo = q.items.filter((i) => !answered.has(i.id));
        if (!todo.length) break;
        for (const item of todo) {
          const res = await post(master, `/v1/requests/${item.id}/response`, opToken, { body: { answer: item.id } });
          expect(res.status).toBe(201);
          answered.add(item.id);
        }
      }
      await faultyTrip(master, replica, "m→r");
      await supersedeRefused();
      const done = (await replica.services.db.orm.select({ n: count() }).from(responses).get())!.n;
      if (submitted === TOTAL && done === TOTAL) break;
    }

    // Every request answered exactly once, none lost, none duplicated.
    const replicaRequests = await replica.services.db.orm.select({ id: requests.id, status: requests.status }).from(requests).all();
    expect(replicaRequests).toHaveLength(TOTAL);
    expect(replicaRequests.every((r) => r.status === "answered")).toBe(true);
    expect((await master.services.db.orm.select({ n: count() }).from(requests).get())!.n).toBe(TOTAL);
    expect(answered.size).toBe(TOTAL);
    for (const side of [master, replica]) {
      const rows = await side.services.db.orm.select({ id: responses.requestId, version: responses.version }).from(responses).all();
      expect(rows).toHaveLength(TOTAL);
      expect(rows.every((r) => r.version === 1)).toBe(true); // answered once: no second version anywhere
    }
    const one = replicaRequests[0].id;
    expect((await replica.services.db.orm.select().from(responses).where(eq(responses.requestId, one)).get())!.body).toBe(JSON.stringify({ answer: one }));

    // Every injected fault was reported, none applied.
    const kinds = new Set(faults.map((f) => f.fault));
    for (const k of ["truncate", "bitflip", "wrong-key", "wrong-network", "duplicate", "replay"] as const) expect(kinds, `fault ${k} was injected`).toContain(k);
    for (const f of faults) {
      expect(f.outcome, `${f.fault} (${f.direction})`).not.toBe("applied");
      if (f.fault === "truncate" || f.fault === "bitflip" || f.fault === "wrong-key" || f.fault === "wrong-network")
        expect(f.outcome).toMatch(/^(quarantined|http_400:not_a_batch)$/);
      else expect(f.outcome).toMatch(/^(replay|held)$/);
    }
    expect(outcomes.held ?? 0, "reordering held some batches").toBeGreaterThan(0);

    // Poison records are dead letters on the master, reported to the replica; the link never stopped.
    const inMaster = await master.services.db.orm.select().from(deadLetters).all();
    expect(inMaster.map((d) => [d.side, d.kind, d.recordId, d.status]).sort()).toEqual([...poisoned].sort().map((id) => ["in", "request", id, "open"]));
    const peerOnReplica = await replica.services.db.orm.select().from(deadLetters).where(eq(deadLetters.side, "peer")).all();
    expect(peerOnReplica.map((d) => d.recordId).sort()).toEqual([...poisoned].sort());
    // The quarantined batch was superseded once; the record left out is the replica's one outgoing dead letter.
    expect(superseded).toBe(1);
    const outOnReplica = await replica.services.db.orm.select().from(deadLetters).where(eq(deadLetters.side, "out")).all();
    expect(outOnReplica.map((d) => [d.kind, d.recordId, d.status])).toEqual([["user", "usr_not_ours", "open"]]);
    expect(await replica.services.db.orm.select().from(auditLog).where(eq(auditLog.action, "transfer.supersede")).all()).toHaveLength(1);
    expect(outcomes.quarantined ?? 0).toBeGreaterThan(0);
    console.log(`fault injection seed ${SEED}: ${faults.length} faults injected; outcomes ${JSON.stringify(outcomes)}`);
  }, 300_000);
});
