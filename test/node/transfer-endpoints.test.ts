import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { apiKeys, batchesIn, users } from "../../schema/index.ts";
import { nodeApp } from "../helpers/node-app.ts";
import { COURIER, carry, download, exportNow, upload, type Net } from "../helpers/transfer.ts";
import { seedApiKey, seedSession } from "../helpers/identity-fixtures.ts";
import { buildBatch, generateSigningKey, ZERO_HASH } from "../../src/transfer/batch/index.ts";
import { testKeys } from "../helpers/keys.ts";
import { expectProblem } from "../shared/harness.ts";

async function networks() {
  const master: Net = await nodeApp({ NETWORK_ROLE: "response" });
  const replica: Net = await nodeApp({ NETWORK_ROLE: "request" });
  const admin = await seedSession(master.services, { role: "admin" });
  const call = (n: Net, path: string, init: { method?: string; auth?: string; body?: unknown } = {}) =>
    n.app.request(
      path,
      {
        method: init.method ?? "GET",
        headers: { ...(init.auth ? { authorization: init.auth } : {}), ...(init.body ? { "content-type": "application/json" } : {}) },
        body: init.body ? JSON.stringify(init.body) : undefined,
      },
      {},
    );
  const createUser = async (email: string, role = "user") => {
    const res = await call(master, "/v1/admin/users", { method: "POST", auth: admin.auth, body: { email, name: email, role, password: "a long enough password" } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string };
  };
  const login = (n: Net, email: string) => call(n, "/v1/auth/token", { method: "POST", body: { email, password: "a long enough password" } });
  return { master, replica, admin, call, createUser, login };
}

describe("transfer (Node, through the HTTP endpoints)", () => {
  it("a user created on the master can log in on the replica after one batch; disabling them locks them out there", async () => {
    const { master, replica, admin, call, createUser, login } = await networks();
    const alice = await createUser("alice@example.com");
    expect((await login(replica, "alice@example.com")).status).toBe(401);
    const outcomes = await carry(master, replica);
    expect(outcomes.map((o) => [o.sequence, o.outcome])).toEqual([[1, "applied"]]);
    const token = ((await (await login(replica, "alice@example.com")).json()) as { access_token: string }).access_token;
    expect((await call(replica, "/v1/me", { auth: `Bearer ${token}` })).status).toBe(200);

    await call(master, `/v1/admin/users/${alice.id}`, { method: "DELETE", auth: admin.auth });
    // Batch 1 is not acknowledged yet, so the courier carries it again: a reported replay.
    expect((await carry(master, replica)).map((o) => [o.sequence, o.outcome])).toEqual([
      [1, "replay"],
      [2, "applied"],
    ]);
    expect((await call(replica, "/v1/me", { auth: `Bearer ${token}` })).status).toBe(401);
    await expectProblem(await login(replica, "alice@example.com"), { status: 403, code: "account_disabled", title: "Account disabled", instance: "/v1/auth/token" }, expect);
    // The admin's own row travelled too? No: only changes made through the master's API travel (seeded rows are not).
    expect(await replica.services.db.orm.select().from(users).where(eq(users.id, admin.user.id)).get()).toBeUndefined();
  });

  it("replays are reported no-ops; a batch after a gap is held until the gap fills", async () => {
    const { master, replica, createUser } = await networks();
    await createUser("b1@example.com");
    await exportNow(master);
    await createUser("b2@example.com");
    await exportNow(master);
    const [b1, b2] = await download(master);
    expect([b1.sequence, b2.sequence]).toEqual([1, 2]);
    const held = await upload(replica, b2.file);
    expect(held.body).toMatchObject({ sequence: 2, outcome: "held", reason: "waiting for sequence 1" });
    const status1 = (await (await replica.app.request("/v1/transfer/status", { headers: COURIER }, {})).json()) as any;
    expect(status1.incoming).toMatchObject({ last_imported: 0, gaps: [{ from: 1, to: 1 }], held: [{ sequence: 2 }] });
    expect((await upload(replica, b1.file)).body).toMatchObject({ sequence: 1, outcome: "applied" });
    const status2 = (await (await replica.app.request("/v1/transfer/status", { headers: COURIER }, {})).json()) as any;
    expect(status2.incoming).toMatchObject({ last_imported: 2, gaps: [], held: [] });
    expect(await replica.services.db.orm.select({ e: users.email }).from(users).all()).toEqual(expect.arrayContaining([{ e: "b1@example.com" }, { e: "b2@example.com" }]));
    const replay = await upload(replica, b1.file);
    expect(replay.body).toMatchObject({ sequence: 1, outcome: "replay" });
    const list = (await (await replica.app.request("/v1/transfer/batches", { headers: COURIER }, {})).json()) as any;
    expect(list.items.map((i: any) => [i.sequence, i.outcome])).toEqual([
      [1, "replay"],
      [1, "applied"],
      [2, "applied"],
    ]);
  });

  it("acknowledgements travel back and mark the sender's batches delivered", async () => {
    const { master, replica, createUser } = await networks();
    await createUser("c@example.com");
    await carry(master, replica);
    const before = (await (await master.app.request("/v1/transfer/outbox", { headers: COURIER }, {})).json()) as any;
    expect(before.items.map((b: any) => [b.sequence, b.acknowledged])).toEqual([[1, false]]);
    // The replica has nothing of its own to send, but it owes an acknowledgement (and its audit entries).
    const back = await carry(replica, master);
    expect(back.map((o) => o.outcome)).toEqual(["applied"]);
    const after = (await (await master.app.request("/v1/transfer/outbox?include_acknowledged=true", { headers: COURIER }, {})).json()) as any;
    expect(after.items.map((b: any) => [b.sequence, b.acknowledged])).toEqual([[1, true]]);
    const status = (await (await master.app.request("/v1/transfer/status", { headers: COURIER }, {})).json()) as any;
    expect(status.outgoing).toMatchObject({ last_exported: 1, last_acknowledged: 1, unacknowledged: 0 });
    // And it stops there: an ack-only batch is not acknowledged in turn.
    expect((await exportNow(master)).exported).toEqual([]);
    expect((await exportNow(replica)).exported).toEqual([]);
  });

  it("bit flips, truncation, a wrong key and the wrong destination are quarantined with a reason; nothing applied", async () => {
    const { master, replica, createUser } = await networks();
    await createUser("d@example.com");
    await exportNow(master);
    const [b] = await download(master);
    const flipped = b.file.slice();
    flipped[flipped.length - 20] ^= 0x04;
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ["bit flip in the body", flipped, /^checksum_mismatch/],
      ["truncated", b.file.slice(0, b.file.length - 10), /^checksum_mismatch/],
    ];
    const k = await testKeys();
    const other = await generateSigningKey();
    const wrongKey = await buildBatch({
      records: [],
      source: "airlock-response",
      destination: "airlock-request",
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 60_000,
      signingKey: other,
    });
    cases.push(["signed with another key", wrongKey.file, /^unknown_key/]);
    const wrongDest = await buildBatch({
      records: [],
      source: "airlock-response",
      destination: "airlock-elsewhere",
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 60_000,
      signingKey: k.response,
    });
    cases.push(["sent to another network", wrongDest.file, /^wrong_destination/]);
    for (const [name, file, reason] of cases) {
      const r = await upload(replica, file);
      expect(r.body.outcome, name).toBe("quarantined");
      expect(r.body.reason, name).toMatch(reason);
    }
    expect(await replica.services.db.orm.select().from(users).all()).toEqual([]);
    expect((await upload(replica, b.file)).body.outcome).toBe("applied"); // the good copy still applies
    const q = (await (await replica.app.request("/v1/transfer/batches?outcome=quarantined", { headers: COURIER }, {})).json()) as any;
    expect(q.items).toHaveLength(4);
    expect((await replica.services.batches.list("quarantine")).length).toBe(4);
  });

  it("a batch signed with the replica's own valid key that carries a user record is quarantined by the master", async () => {
    const { master } = await networks();
    const k = await testKeys();
    const escalation = await buildBatch({
      records: [
        {
          kind: "user",
          id: "usr_evil",
          version: 99,
          data: {
            id: "usr_evil",
            email: "evil@example.com",
            emailNormalized: "evil@example.com",
            name: "Evil",
            role: "admin",
            status: "active",
            passwordHash: "pbkdf2-sha256$1000$AA$AA",
            rateLimits: null,
            version: 99,
            createdAt: "2026-01-01T00:00:00.000Z",
            updatedAt: "2026-01-01T00:00:00.000Z",
          },
        },
      ],
      source: "airlock-request",
      destination: "airlock-response",
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 60_000,
      signingKey: k.request,
    });
    const r = await upload(master, escalation.file);
    expect(r.body).toMatchObject({ outcome: "quarantined", reason: 'record user/usr_evil: the request network does not own "user" records' });
    expect(await master.services.db.orm.select().from(users).where(eq(users.id, "usr_evil")).get()).toBeUndefined();
    const status = (await (await master.app.request("/v1/transfer/status", { headers: COURIER }, {})).json()) as any;
    expect(status.incoming).toMatchObject({ last_imported: 0, quarantined: 1 });
  });

  it("garbage, non-gzip bodies and oversize uploads are 4xx problems and nothing is stored", async () => {
    const { replica } = await networks();
    const garbage = await upload(replica, new TextEncoder().encode("hello, not a batch"));
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ code: "not_a_batch" });
    const notGzip = await upload(replica, new TextEncoder().encode("AIRLOCK-BATCH/1\neyJhbGciOiJFZERTQSJ9.e30.AAAA\nplain text body"));
    expect(notGzip.body).toMatchObject({ code: "not_a_batch", detail: "the body is not gzip" });
    const big = new Uint8Array(replica.services.config.transfer.maxRawBytes + 200 * 1024);
    const tooLarge = await upload(replica, big);
    expect(tooLarge.status).toBe(413);
    const wrongType = await replica.app.request("/v1/transfer/inbox", { method: "POST", headers: { ...COURIER, "content-type": "text/plain" }, body: "x" }, {});
    expect(wrongType.status).toBe(415);
    expect(await replica.services.db.orm.select().from(batchesIn).all()).toEqual([]);
    expect(await replica.services.batches.list("inbox")).toEqual([]);
  });

  it("API keys travel to the master for audit; a revocation on the master stops the key on the replica", async () => {
    const { master, replica, admin, call, createUser, login } = await networks();
    await createUser("k@example.com");
    await carry(master, replica);
    const token = ((await (await login(replica, "k@example.com")).json()) as { access_token: string }).access_token;
    const key = (await (await call(replica, "/v1/api-keys", { method: "POST", auth: `Bearer ${token}`, body: { name: "robot" } })).json()) as { id: string; key: string };
    expect((await call(replica, "/v1/me", { auth: `Bearer ${key.key}` })).status).toBe(200);
    expect((await carry(replica, master)).map((o) => o.outcome)).toEqual(["applied"]);
    const onMaster = (await master.services.db.orm.select().from(apiKeys).where(eq(apiKeys.id, key.id)).get())!;
    expect(onMaster.keyHash).toBe(`remote:${key.id}`);
    expect((await call(master, `/v1/admin/api-keys/${key.id}`, { method: "DELETE", auth: admin.auth })).status).toBe(200);
    expect((await carry(master, replica)).map((o) => o.outcome)).toEqual(["applied"]);
    await expectProblem(
      await call(replica, "/v1/me", { auth: `Bearer ${key.key}` }),
      { status: 401, code: "invalid_token", title: "Invalid token", instance: "/v1/me", detail: "this API key has been revoked" },
      expect,
    );
    // The replica's audit chain arrived intact on the master.
    const peer = await master.services.db.orm.query.peerAuditLog.findMany();
    expect(peer.map((p) => JSON.parse(p.entry).action)).toEqual(expect.arrayContaining(["auth.login", "api_key.create"]));
  });

  it("an unacknowledged batch can be re-signed and resent without being applied twice", async () => {
    const { master, replica, createUser } = await networks();
    await createUser("r@example.com");
    await exportNow(master);
    const [first] = await download(master);
    master.services.clock = { now: () => new Date(Date.now() + 2 * 3_600_000) }; // past the ack threshold
    const { resent } = await exportNow(master, { resend: true });
    expect(resent.map((b: any) => b.sequence)).toEqual([1]);
    const [second] = await download(master);
    expect(second.file).not.toEqual(first.file);
    expect((await upload(replica, second.file)).body.outcome).toBe("applied");
    expect((await upload(replica, first.file)).body).toMatchObject({ outcome: "replay", sequence: 1 });
    void seedApiKey;
  });
});
