// The link cannot be stopped: records, files and releases that once halted a direction are set
// aside (dead letters), reported, and retried; a quarantined batch is superseded by its sender.
import { describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { auditLog, batchesIn, deadLetters, outbox, requests } from "../../schema/index.ts";
import { COURIER, carry, download, exportNow, upload } from "../helpers/transfer.ts";
import { linkedNetworks, rawOutbox, roundTrip, statusOf } from "../helpers/link.ts";
import { encodeBatchFile } from "../../src/transfer/batch/index.ts";
import { KIND_BY_NAME } from "../../src/record-kinds.ts";
import type { AnyKind } from "../../src/transfer/contract.ts";

const deep = (n: number) => {
  let v: unknown = 0;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};
const requestRecord = (id: string, userId: string, body: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  user_id: userId,
  api_key_id: null,
  topic: "poison",
  body,
  priority: 0,
  created_at: "2026-01-01T00:00:00.000Z",
  cancelled_at: null,
  version: 1,
  ...extra,
});
const userIdOf = async (net: Awaited<ReturnType<typeof linkedNetworks>>) => (await net.r("/v1/me", { token: net.tokens.user })).body.id as string;

describe("no single record stops a direction", () => {
  it("poison records in a genuine batch become dead letters; the rest applies, both sides see them, and the link goes on", async () => {
    const net = await linkedNetworks();
    const uid = await userIdOf(net);
    // What once threw on the master (z.json recursion), a field over its limit, and a kind from the future.
    await rawOutbox(net.replica, "request", "req_deep", 1, requestRecord("req_deep", uid, deep(1800)));
    await rawOutbox(net.replica, "request", "req_prio", 1, requestRecord("req_prio", uid, "x", { priority: 12 }));
    await rawOutbox(net.replica, "request", "req_good", 1, requestRecord("req_good", uid, { fine: true }));
    await rawOutbox(net.replica, "future_kind", "f1", 1, { id: "f1" });
    const outcomes = await carry(net.replica, net.master);
    expect(outcomes).toEqual([expect.objectContaining({ outcome: "applied", dead_letters: 3 })]);
    const onMaster = await net.master.services.db.orm.select({ id: requests.id }).from(requests).all();
    expect(onMaster.map((r) => r.id)).toEqual(["req_good"]);
    const list = await net.m("/v1/transfer/dead-letters?side=in", { token: net.tokens.masterAdmin });
    expect(list.status).toBe(200);
    expect(list.body.items.map((d: any) => [d.kind, d.record_id, d.status]).sort()).toEqual([
      ["future_kind", "f1", "open"],
      ["request", "req_deep", "open"],
      ["request", "req_prio", "open"],
    ]);
    expect(list.body.items.find((d: any) => d.record_id === "req_prio").reason).toMatch(/priority/);
    expect(list.body.items.find((d: any) => d.record_id === "f1").reason).toMatch(/does not know "future_kind"/);
    expect((await statusOf(net.master)).incoming.dead_letters).toBe(3);

    // The master reports them in its next batch: the replica's operator sees them too.
    await carry(net.master, net.replica);
    const peer = await net.r("/v1/transfer/dead-letters?side=peer", { token: net.tokens.replicaAdmin });
    expect(peer.body.items.map((d: any) => d.record_id).sort()).toEqual(["f1", "req_deep", "req_prio"]);
    expect((await statusOf(net.replica)).outgoing.peer_dead_letters).toBe(3);
    // A peer's report cannot be retried here (the record is on the other side).
    expect((await net.r(`/v1/transfer/dead-letters/${peer.body.items[0].id}/retry`, { token: net.tokens.replicaAdmin, body: {} })).status).toBe(409);

    // Retry before an upgrade: refused with the reason, nothing changes. After one (the kind is known): applied, audited.
    const future = list.body.items.find((d: any) => d.record_id === "f1");
    const refused = await net.m(`/v1/transfer/dead-letters/${future.id}/retry`, { token: net.tokens.masterAdmin, body: {} });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe("dead_letter_invalid");
    const applied: string[] = [];
    const upgraded: AnyKind = {
      kind: "future_kind",
      owner: "request",
      schemaVersion: 1,
      schema: (await import("zod")).z.object({ id: (await import("zod")).z.string() }),
      idOf: (d) => d.id,
      apply: (_s, rows) => {
        applied.push(...rows.map((r: any) => r.id));
        return [];
      },
    };
    (KIND_BY_NAME as Map<string, AnyKind>).set("future_kind", upgraded);
    try {
      const ok = await net.m(`/v1/transfer/dead-letters/${future.id}/retry`, { token: net.tokens.masterAdmin, body: {} });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toMatchObject({ status: "applied", resolved_by: expect.any(String) });
    } finally {
      (KIND_BY_NAME as Map<string, AnyKind>).delete("future_kind");
    }
    expect(applied).toEqual(["f1"]);
    expect((await net.master.services.db.orm.select().from(auditLog).where(eq(auditLog.action, "transfer.dead_letter.retry")).all()).length).toBe(1);
    expect((await statusOf(net.master)).incoming.dead_letters).toBe(2);

    await roundTrip(net);
  });

  it("a newer release's extra fields are ignored and reported in status; older records without a schema version are read as version 1", async () => {
    const net = await linkedNetworks();
    const users = await net.master.services.db.orm
      .select()
      .from((await import("../../schema/index.ts")).users)
      .all();
    const u = users.find((x) => x.email === "user@example.com")!;
    await rawOutbox(net.master, "user", u.id, u.version + 1, { ...u, name: "Renamed", version: u.version + 1, avatarUrl: "https://example.org/a.png", pronouns: "they" });
    expect((await carry(net.master, net.replica)).at(-1)?.outcome).toBe("applied");
    expect((await statusOf(net.replica)).incoming.ignored_fields).toEqual({ user: ["avatarUrl", "pronouns"] });
    expect((await net.r("/v1/me", { token: net.tokens.user })).body.name).toBe("Renamed");
    const st = await statusOf(net.replica);
    expect(st.peer).toMatchObject({ release: expect.any(String), batch_format: 3, last_heard_at: expect.any(String) });
  });

  it("an answer's Content-Type over its limit never leaves the master; a forged one is a dead letter on the replica", async () => {
    const net = await linkedNetworks();
    const sub = await net.r("/v1/requests", { token: net.tokens.user, body: { topic: "t", body: 1 } });
    await carry(net.replica, net.master);
    const long = `text/plain; x=${"a".repeat(300)}`;
    const res = await net.m(`/v1/requests/${sub.body.id}/response`, { token: net.tokens.op, body: { body: "hi", content_type: long } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await rawOutbox(net.master, "response", sub.body.id, 1, {
      request_id: sub.body.id,
      kind: "answer",
      body: "hi",
      content_type: long,
      reason: null,
      answered_by: "x",
      answered_at: "2026-01-01T00:00:00.000Z",
      version: 1,
    });
    expect(await carry(net.master, net.replica)).toEqual([expect.objectContaining({ outcome: "applied", dead_letters: 1 })]);
    await roundTrip(net);
  });

  it("a stored payload is written into its body line as it is only when it is one JSON object on one line; otherwise it is re-encoded, or set aside when unreadable", async () => {
    const net = await linkedNetworks();
    const uid = await userIdOf(net);
    const raw = async (id: string, payload: string) =>
      net.replica.services.db.orm.insert(outbox).values({ kind: "request", entityId: id, version: 1, payload, createdAt: net.replica.services.clock.now().toISOString() });
    // Pretty-printed JSON (newlines between tokens): valid, but it would split its body line, so it is parsed and written again.
    await raw("req_pretty", JSON.stringify(requestRecord("req_pretty", uid, { a: "line\nbreak" }), null, 2));
    // Not JSON at all, and JSON that is not an object: set aside here, the rest goes on.
    await raw("req_broken", '{"id":"req_broken",');
    await raw("req_array", "[1,2]");
    await rawOutbox(net.replica, "request", "req_plain", 1, requestRecord("req_plain", uid, "plain"));
    const out = await exportNow(net.replica);
    expect(out.exported.length).toBeGreaterThan(0);
    const dead = await net.r("/v1/transfer/dead-letters?side=out", { token: net.tokens.replicaAdmin });
    expect(dead.body.items.map((d: any) => [d.record_id, d.reason.match(/JSON|not a valid batch record/)?.[0]]).sort()).toEqual([
      ["req_array", "not a valid batch record"],
      ["req_broken", "JSON"],
    ]);
    for (const b of await download(net.replica)) expect((await upload(net.master, b.file)).body).toMatchObject({ outcome: "applied" });
    const onMaster = await net.master.services.db.orm.select({ id: requests.id, body: requests.body }).from(requests).all();
    expect(onMaster.map((r) => r.id).sort()).toEqual(["req_plain", "req_pretty"]);
    expect(JSON.parse(onMaster.find((r) => r.id === "req_pretty")!.body as string)).toEqual({ a: "line\nbreak" });
    await roundTrip(net);
  });

  it("a record too large for AIRLOCK_BATCH_MAX_BYTES is set aside at export instead of stopping every export; retrying it while it still does not fit is refused", async () => {
    const net = await linkedNetworks({ AIRLOCK_BATCH_MAX_BYTES: "8192" });
    const uid = await userIdOf(net);
    await rawOutbox(net.replica, "request", "req_big", 1, requestRecord("req_big", uid, "x".repeat(20_000)));
    const sub = await net.r("/v1/requests", { token: net.tokens.user, body: { topic: "t", body: "small" } });
    const out = await exportNow(net.replica);
    expect(out.exported.length).toBeGreaterThan(0);
    const dead = await net.r("/v1/transfer/dead-letters?side=out", { token: net.tokens.replicaAdmin });
    expect(dead.body.items).toEqual([
      expect.objectContaining({
        kind: "request",
        record_id: "req_big",
        status: "open",
        reason: expect.stringMatching(/request\/req_big is \d+ bytes as a body line, more than the 8192-byte batch limit/),
      }),
    ]);
    for (const b of await download(net.replica)) await upload(net.master, b.file);
    expect((await net.master.services.db.orm.select().from(requests).where(eq(requests.id, sub.body.id)).all()).length).toBe(1);
    // Retrying while it still does not fit is refused by the outbox's own check; nothing changes.
    const retry = await net.r(`/v1/transfer/dead-letters/${dead.body.items[0].id}/retry`, { token: net.tokens.replicaAdmin, body: {} });
    expect(retry.status).toBe(413);
    expect(retry.body).toMatchObject({ code: "payload_too_large", max_record_bytes: 8192 - 1024 });
    expect((await net.r("/v1/transfer/dead-letters?side=out&status=open", { token: net.tokens.replicaAdmin })).body.items).toHaveLength(1);
    expect((await net.replica.services.db.orm.select().from(outbox).where(eq(outbox.entityId, "req_big")).all()).length).toBe(1);
  });
});

describe("attacker-controlled text is bounded", () => {
  it("a junk upload with a 30,000-character kid is quarantined with a short reason, and its audit entry still crosses", async () => {
    const net = await linkedNetworks();
    const header = Buffer.from(JSON.stringify({ alg: "EdDSA", kid: "k".repeat(30_000) })).toString("base64url");
    const junk = encodeBatchFile(
      `${header}.${Buffer.from("{}").toString("base64url")}.${"A".repeat(86)}`,
      new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    );
    const r = await upload(net.replica, junk);
    expect(r.body.outcome).toBe("quarantined");
    expect(r.body.reason!.length).toBeLessThanOrEqual(1000);
    const entries = await net.replica.services.db.orm.select().from(auditLog).where(eq(auditLog.action, "transfer.import")).all();
    expect(Math.max(...entries.map((e) => e.details?.length ?? 0))).toBeLessThanOrEqual(16_384);
    const there = await carry(net.replica, net.master);
    expect(there.map((o) => o.outcome)).toEqual(["applied"]);
    await roundTrip(net);
  });
});

describe("the inbox never fails as a whole", () => {
  it("odd names and sizes are set aside unread; a copy named 'copy (1).batch' is judged; the others go on", async () => {
    const net = await linkedNetworks();
    await net.r("/v1/requests", { token: net.tokens.user, body: { topic: "t", body: 1 } });
    await exportNow(net.replica);
    const [b] = await download(net.replica);
    const inbox = join(net.master.services.config.batchDir, "inbox");
    await (await import("node:fs/promises")).mkdir(inbox, { recursive: true });
    await writeFile(join(inbox, "copy (1).batch"), b.file);
    await writeFile(join(inbox, "bad\u0001name.batch"), b.file);
    await writeFile(join(inbox, "huge.batch"), new Uint8Array(net.master.services.config.transfer.maxRawBytes + 200 * 1024));
    const run = (await (await net.master.app.request("/v1/transfer/import", { method: "POST", headers: COURIER }, {})).json()) as any;
    expect(run.results.map((x: any) => x.outcome).sort()).toEqual(["applied", "quarantined", "quarantined"]);
    expect(run.results.find((x: any) => /name/.test(x.reason ?? "")).reason).toMatch(/file name .* is not accepted/);
    expect(run.results.find((x: any) => /bytes/.test(x.reason ?? "")).reason).toMatch(/the limit is/);
    expect((await net.master.services.batches.list("inbox")).length).toBe(0);
    expect((await net.master.services.batches.list("quarantine")).length).toBe(2);
    // A set-aside file is an ordinary receipt: retrying the odd name judges it (a replay by now).
    const odd = run.results.find((x: any) => /name/.test(x.reason ?? ""));
    const again = (await (await net.master.app.request(`/v1/transfer/batches/${odd.receipt_id}/retry`, { method: "POST", headers: COURIER }, {})).json()) as any;
    expect(again.outcome).toBe("replay");
  });

  it("an upload while an import holds the lease is stored and answered 202 queued; the next run judges it", async () => {
    const net = await linkedNetworks();
    await net.r("/v1/requests", { token: net.tokens.user, body: { topic: "t", body: 1 } });
    await exportNow(net.replica);
    const [b] = await download(net.replica);
    const { jobLocks } = await import("../../schema/index.ts");
    await net.master.services.db.orm.insert(jobLocks).values({ job: "transfer-import", holder: "someone-else", expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const res = await net.master.app.request(
      "/v1/transfer/inbox",
      { method: "POST", headers: { ...COURIER, "content-type": "application/octet-stream" }, body: b.file as Uint8Array<ArrayBuffer> },
      {},
    );
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ outcome: "queued", reason: expect.stringMatching(/next run/) });
    expect((await net.master.services.db.orm.select().from(batchesIn).where(eq(batchesIn.id, body.receipt_id)).get())?.outcome).toBe("pending");
    await net.master.services.db.orm.delete(jobLocks);
    const run = (await (await net.master.app.request("/v1/transfer/import", { method: "POST", headers: COURIER }, {})).json()) as any;
    expect(run.results).toEqual([expect.objectContaining({ receipt_id: body.receipt_id, outcome: "applied" })]);
  }, 30_000);
});

describe("a stuck direction moves again without editing a database: supersede", () => {
  it("a quarantined genuine batch is reported, superseded without the offending record, applied; the later held batch follows; the original is settled", async () => {
    const net = await linkedNetworks();
    const uid = await userIdOf(net);
    // A record the replica does not own (a bug): the master quarantines the whole file (a security rule).
    const keep = await net.r("/v1/requests", { token: net.tokens.user, body: { topic: "kept", body: { keep: true } } });
    await rawOutbox(net.replica, "user", "usr_bug", 1, { id: "usr_bug" });
    await exportNow(net.replica);
    const first = await download(net.replica);
    const seq = first.at(-1)!.sequence;
    const q = await upload(net.master, first.at(-1)!.file);
    expect(q.body).toMatchObject({ outcome: "quarantined", reason: expect.stringMatching(/does not own "user"/) });
    // The next batch is held behind it.
    const later = await net.r("/v1/requests", { token: net.tokens.user, body: { topic: "later", body: 2 } });
    await exportNow(net.replica);
    const next = (await download(net.replica)).find((b) => b.sequence === seq + 1)!;
    expect((await upload(net.master, next.file)).body.outcome).toBe("held");
    // The master tells the replica (its next batch carries the report).
    await carry(net.master, net.replica);
    expect((await statusOf(net.replica)).outgoing.quarantined_by_peer).toEqual([{ sequence: seq, reason: expect.stringMatching(/does not own/) }]);

    const bad = await net.r(`/v1/transfer/outbox/${seq}/supersede`, { token: net.tokens.replicaAdmin, body: { omit: [{ kind: "user", id: "nope" }], reason: "x" } });
    expect(bad.status).toBe(400);
    const sup = await net.r(`/v1/transfer/outbox/${seq}/supersede`, {
      token: net.tokens.replicaAdmin,
      body: { omit: [{ kind: "user", id: "usr_bug" }], reason: "leaked by a bug" },
    });
    expect(sup.status, JSON.stringify(sup.body)).toBe(200);
    expect(sup.body).toMatchObject({ sequence: seq, omitted: 1, superseded: [expect.stringMatching(/^[0-9a-f]{64}$/)] });
    const files = await download(net.replica);
    const superseding = files.find((b) => b.sequence === seq)!;
    expect(superseding.id).toBe(sup.body.id);
    const applied = await upload(net.master, superseding.file);
    expect(applied.body.outcome).toBe("applied");
    // The held batch behind it applies too (its prev_hash names the body that was superseded).
    await (await net.master.app.request("/v1/transfer/import", { method: "POST", headers: COURIER }, {})).json();
    const ids = (await net.master.services.db.orm.select({ id: requests.id }).from(requests).all()).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining([keep.body.id, later.body.id]));
    // The original copy, delivered again, is settled as superseded, not a history rewrite.
    expect((await upload(net.master, first.at(-1)!.file)).body.outcome).toBe("superseded");
    const receipts = await net.master.services.db.orm.select().from(batchesIn).where(eq(batchesIn.sequence, seq)).all();
    expect(receipts.map((x) => x.outcome).sort()).toEqual(["applied", "superseded", "superseded"]);
    // Nothing valid is lost: the omitted record is an outgoing dead letter on the replica; all audited.
    const out = await net.r("/v1/transfer/dead-letters?side=out", { token: net.tokens.replicaAdmin });
    expect(out.body.items).toEqual([expect.objectContaining({ kind: "user", record_id: "usr_bug", reason: expect.stringMatching(/superseded: leaked by a bug/) })]);
    expect((await net.replica.services.db.orm.select().from(auditLog).where(eq(auditLog.action, "transfer.supersede")).all()).length).toBe(1);
    // An acknowledged batch can no longer be superseded.
    await carry(net.master, net.replica);
    expect(
      (await net.r(`/v1/transfer/outbox/${seq}/supersede`, { token: net.tokens.replicaAdmin, body: { omit: [{ kind: "request", id: keep.body.id }], reason: "x" } })).body.code,
    ).toBe("not_supersedable");
    await roundTrip(net);
    void uid;
    void outbox;
    void deadLetters;
  });
});
