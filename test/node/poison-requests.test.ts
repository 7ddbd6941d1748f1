// Values an ordinary user (or an operator, or the processor) can send that once stopped the link:
// each is refused at the door with a 4xx problem naming the field, or accepted and carried across
// unchanged. Two in-process networks, real libSQL files, real signed batches through the inbox.
import { describe, expect, it } from "vitest";
import { outbox, requests } from "../../schema/index.ts";
import { expectFieldProblem, linkedNetworks, requestRow, responseRow, roundTrip, type Json } from "../helpers/link-pair.ts";

const MiB = 1024 * 1024;
const ENV = { AIRLOCK_MAX_BODY_BYTES: String(2 * MiB), AIRLOCK_MAX_REQUEST_BODY_BYTES: String(MiB) };

const nestedArrays = (n: number) => "[".repeat(n) + "]".repeat(n);
const nestedObjects = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
const manyKeys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")}}`;
const deepPointer = (seg: string, prefix = "/body") => prefix + `/${seg}`.repeat(64);
const big = "x".repeat(900 * 1024);

/** Poison JSON texts (as sent, not re-serialised) and what the door must do with each. */
type Case = { name: string; raw: string; refused?: { code: string; pointer: string; detail: RegExp } };
const BODIES: Case[] = [
  { name: "arrays 1,800 deep", raw: nestedArrays(1800), refused: { code: "invalid_json", pointer: deepPointer("0"), detail: /nested deeper than 64 levels/ } },
  { name: "arrays 5,000 deep", raw: nestedArrays(5000), refused: { code: "invalid_json", pointer: deepPointer("0"), detail: /nested deeper than 64 levels/ } },
  { name: "objects 3,000 deep", raw: nestedObjects(3000), refused: { code: "invalid_json", pointer: deepPointer("a"), detail: /nested deeper than 64 levels/ } },
  { name: "lone surrogate", raw: '"\\ud800"', refused: { code: "invalid_json", pointer: "/body", detail: /lone surrogate/ } },
  { name: "lone surrogate in a key", raw: '{"ok":{"\\udfff":1}}', refused: { code: "invalid_json", pointer: "/body/ok", detail: /key is not well-formed/ } },
  { name: "1e400", raw: '{"n":[1,1e400]}', refused: { code: "invalid_json", pointer: "/body/n/1", detail: /not finite/ } },
  { name: "60,000 keys", raw: manyKeys(60_000), refused: { code: "invalid_json", pointer: "/body", detail: /60000 keys, over the limit of 1000/ } },
  { name: "NUL", raw: '{"s":"a\\u0000b"}' },
  { name: "U+2028 and U+2029", raw: '["a\\u2028b", "c\u2029d"]' },
  { name: "duplicate keys (the last wins)", raw: '{"a":1,"b":2,"a":3}' },
  { name: "900 KB string", raw: JSON.stringify(big) },
];

describe("poison requests: refused at the door or carried unchanged; the link keeps going", () => {
  it("each poison body, then a normal request crosses, is answered and comes back", async () => {
    const link = await linkedNetworks(ENV);
    const accepted: Array<{ id: string; raw: string }> = [];
    for (const c of BODIES) {
      const res = await link.submitRaw(`{"topic":"poison","body":${c.raw}}`);
      if (c.refused) {
        const body = await expectFieldProblem(res, 400, c.refused.code, c.refused.pointer);
        expect(body.detail, c.name).toMatch(c.refused.detail);
      } else {
        expect(res.status, `${c.name}: ${(await res.clone().text()).slice(0, 300)}`).toBe(202);
        accepted.push({ id: ((await res.json()) as Json).id, raw: c.raw });
      }
    }
    expect(accepted).toHaveLength(4);
    // Refused ones wrote nothing: only the accepted requests are stored and waiting in the outbox.
    expect((await link.replica.services.db.orm.select({ id: requests.id }).from(requests).all()).map((r) => r.id).sort()).toEqual(accepted.map((a) => a.id).sort());
    const queued = await link.replica.services.db.orm.select({ kind: outbox.kind, id: outbox.entityId }).from(outbox).all();
    expect(
      queued
        .filter((q) => q.kind === "request")
        .map((q) => q.id)
        .sort(),
    ).toEqual(accepted.map((a) => a.id).sort());

    await link.toMaster();
    for (const a of accepted) {
      // Byte for byte: the master stores exactly the text JSON.parse → JSON.stringify gives on the replica.
      const expected = JSON.stringify(JSON.parse(a.raw));
      expect((await requestRow(link.replica, a.id))?.body).toBe(expected);
      expect(await requestRow(link.master, a.id)).toMatchObject({ body: expected, status: "received" });
    }
    // NUL leaves JSON.stringify escaped (\u0000), U+2028/2029 literally; both parse back to the same string.
    expect((await requestRow(link.master, accepted[0].id))?.body).toBe('{"s":"a\\u0000b"}');
    expect(JSON.parse((await requestRow(link.master, accepted[0].id))!.body).s).toBe("a\u0000b");
    expect((await requestRow(link.master, accepted[1].id))?.body).toBe('["a\u2028b","c\u2029d"]');
    expect((await requestRow(link.master, accepted[2].id))?.body).toBe('{"a":3,"b":2}');

    await roundTrip(link, "after the poison", { q: "still there?" }, { a: "yes" });
  });

  it("topics: control characters, line separators and lone surrogates are refused, naming /topic", async () => {
    const link = await linkedNetworks(ENV);
    for (const topic of ["a\\u0000b", "a\\u2028b", "tab\\there", "\\ud800", "x".repeat(201)]) {
      const res = await link.submitRaw(`{"topic":"${topic}","body":{}}`);
      const body = await expectFieldProblem(res, 400, "validation_failed", "/topic");
      expect(body.errors).toHaveLength(1);
    }
    // Emoji (surrogate pairs, ZWJ sequences) and accents are fine, trimmed.
    const ok = await link.submitRaw(`{"topic":"  m\u00e9t\u00e9o \ud83d\udc69\u200d\ud83d\udd2c ","body":{}}`);
    expect(ok.status).toBe(202);
    expect(((await ok.json()) as Json).topic).toBe("m\u00e9t\u00e9o \ud83d\udc69\u200d\ud83d\udd2c");
    await roundTrip(link, "after the topics", 1, 2);
  });

  it("a record that would not fit one batch is refused at submit (413 naming AIRLOCK_BATCH_MAX_BYTES); nothing is written", async () => {
    const link = await linkedNetworks({ ...ENV, AIRLOCK_BATCH_MAX_BYTES: String(256 * 1024) });
    const res = await link.submitRaw(`{"topic":"big","body":${JSON.stringify(big)}}`);
    const body = await expectFieldProblem(res, 413, "payload_too_large", "/body");
    expect(body).toMatchObject({ limit: "AIRLOCK_BATCH_MAX_BYTES", max_record_bytes: 256 * 1024 - 1024 });
    expect(body.detail).toMatch(/AIRLOCK_BATCH_MAX_BYTES 262144/);
    expect(await link.replica.services.db.orm.select().from(requests).all()).toEqual([]);
    expect((await link.replica.services.db.orm.select().from(outbox).all()).filter((r) => r.kind === "request")).toEqual([]);
    // Just under the limit crosses (the envelope fits in the margin).
    await roundTrip(link, "fits", "y".repeat(250 * 1024), { ok: true });
  });

  it("the same poison as answers on the master: refused with a 4xx naming /body, or carried back unchanged", async () => {
    const link = await linkedNetworks(ENV);
    const answers: Case[] = [...BODIES, { name: "text answer with a lone surrogate", raw: '"\\ud800"' }];
    const ids: string[] = [];
    for (let i = 0; i < answers.length; i++) ids.push(((await (await link.submit(`to answer ${i}`, { i })).json()) as Json).id);
    await link.toMaster();

    const accepted: Array<{ id: string; raw: string }> = [];
    for (let i = 0; i < answers.length; i++) {
      const c = answers[i];
      const contentType = i === answers.length - 1 ? ',"content_type":"text/plain"' : "";
      const res = await link.answerRaw(ids[i], `{"body":${c.raw}${contentType}}`);
      if (c.refused || i === answers.length - 1) {
        const refused = c.refused ?? { code: "invalid_json", pointer: "/body", detail: /lone surrogate/ };
        const body = await expectFieldProblem(res, 400, refused.code, refused.pointer);
        expect(body.detail, c.name).toMatch(refused.detail);
        // Nothing written: no response, the request still open.
        expect(await responseRow(link.master, ids[i])).toBeUndefined();
        expect((await requestRow(link.master, ids[i]))?.status).toBe("received");
        // It can still be answered properly (and rejected ones too: a reason with a lone surrogate is refused).
        await expectFieldProblem(await link.reject(ids[i], '{"reason":"no \\ud800"}'), 400, "validation_failed", "/reason");
        expect((await link.answer(ids[i], { fixed: i })).status).toBe(201);
      } else {
        expect(res.status, `${c.name}: ${(await res.clone().text()).slice(0, 300)}`).toBe(201);
        accepted.push({ id: ids[i], raw: c.raw });
      }
    }
    expect(accepted).toHaveLength(4);
    await link.toReplica();
    for (const a of accepted) {
      const expected = JSON.stringify(JSON.parse(a.raw));
      expect((await responseRow(link.master, a.id))?.body).toBe(expected);
      expect(await responseRow(link.replica, a.id)).toMatchObject({ body: expected, kind: "answer", version: 1 });
      const read = await link.readResponse(a.id);
      expect(read.status).toBe(200);
      expect(((await read.json()) as Json).body).toEqual(JSON.parse(a.raw));
    }
    for (let i = 0; i < answers.length; i++) {
      if (answers[i].refused || i === answers.length - 1) expect(((await (await link.readResponse(ids[i])).json()) as Json).body).toEqual({ fixed: i });
    }
    await roundTrip(link, "after the poison answers", { q: 1 }, { a: 1 });
  });
});
