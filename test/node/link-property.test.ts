// Property: whatever a user submits and an operator answers, the link never stops. Arbitrary JSON
// bodies, topics, answers and content types go submit → export → import → answer → export →
// import between two in-process networks (real libSQL files, real signed batches through the inbox).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { linkedNetworks, requestRow, roundTrip, type Json, type Link } from "../helpers/link-pair.ts";
import { isJsonType } from "../../src/requests/responses.ts";

/** Fixed, so a failure is reproducible: fast-check prints it with the counterexample. */
const SEED = 20_260_901;
const RUNS = 40;

const ENV = {
  AIRLOCK_MAX_BODY_BYTES: String(64 * 1024),
  AIRLOCK_MAX_REQUEST_BODY_BYTES: String(16 * 1024),
  AIRLOCK_RATE_LIMITS: JSON.stringify({ user: { minute: 100_000, hour: 100_000, day: 100_000 }, operator: { minute: 100_000, hour: 100_000, day: 100_000 } }),
};

// Strings of every kind: printable graphemes, any code point, C0/C1 controls, and lone surrogates.
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: "binary-ascii", maxLength: 20 }),
  fc.string({ unit: fc.oneof(fc.constantFrom("a", "\u0000", "\u2028", "\u2029", "\ud83d\ude00"), loneSurrogate), maxLength: 8 }),
);
function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let d = 1; d <= depth; d++) v = d % 2 ? [v] : { d: v };
  return v;
}
const jsonBody = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: fc.oneof(fc.string({ unit: "grapheme", maxLength: 1 }), loneSurrogate) }) },
  { weight: 1, arbitrary: anyString },
  // Around the depth limit (64), and as deep as once stopped the link (~1,800).
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 60, max: 70 }), fc.jsonValue({ maxDepth: 1 })).map(([d, leaf]) => nested(d, leaf)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 2_500 }).map((d) => nested(d, 0)) },
);
const topic = fc.oneof(fc.constantFrom("weather", "  padded  ", "m\u00e9t\u00e9o \ud83c\udf26"), anyString, fc.string({ minLength: 195, maxLength: 205 }));
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom("application/json", "application/problem+json", "text/plain", "text/plain; charset=utf-8", "text/csv; header=present", "application/vnd.example.v2+json; q=1"),
    anyString,
    fc.string({ minLength: 190, maxLength: 260, unit: fc.constantFrom("a", "/", ";", "=") }).map((s) => `text/${s}`),
  ),
  { nil: undefined },
);
const answer = fc.record({ body: fc.oneof(jsonBody, anyString), contentType });
const round = fc.array(fc.record({ topic, body: jsonBody, answer }), { minLength: 1, maxLength: 3 });

/** What a reader gets back for an answer sent as `body` with `ct`: JSON types are parsed, others are text. */
const served = (body: unknown, ct: string | undefined) => (isJsonType(ct?.trim() ?? null) ? JSON.parse(JSON.stringify(body)) : body);

const statusOk = (res: Response, allowed: number) => res.status === allowed || (res.status >= 400 && res.status < 500);

async function expectProblemOr(res: Response, allowed: number, what: string) {
  const text = await res.text();
  expect(statusOk(res, allowed), `${what}: ${res.status} ${text.slice(0, 300)}`).toBe(true);
  if (res.status !== allowed) {
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const p = JSON.parse(text) as Json;
    expect(p).toMatchObject({ status: res.status, type: `urn:airlock:problem:${p.code}` });
    expect(typeof p.detail).toBe("string");
    return null;
  }
  return JSON.parse(text) as Json;
}

type Item = { topic: string; body: unknown; answer: { body: unknown; contentType: string | undefined } };

async function oneRound(link: Link, items: Item[]) {
  const accepted: Array<Item & { id: string }> = [];
  for (const it of items) {
    const created = await expectProblemOr(await link.submit(it.topic, it.body), 202, "submit");
    if (created) accepted.push({ ...it, id: created.id });
  }
  if (accepted.length === 0) return { accepted: 0, answersRefused: 0 };
  let answersRefused = 0;
  await link.toMaster();
  const expected = new Map<string, { body: unknown; contentType: string }>();
  for (const a of accepted) {
    const row = await requestRow(link.master, a.id);
    expect(row).toMatchObject({ status: "received", topic: a.topic.trim() });
    expect(JSON.parse(row!.body)).toEqual(JSON.parse(JSON.stringify(a.body)));
    const done = await expectProblemOr(await link.answer(a.id, a.answer.body, a.answer.contentType), 201, "answer");
    if (done) {
      expect(done.content_type).toBe(a.answer.contentType?.trim() ?? "application/json");
      expected.set(a.id, { body: served(a.answer.body, a.answer.contentType), contentType: done.content_type });
    } else {
      // Refused (4xx): the request is still open and answers normally.
      answersRefused++;
      expect((await link.answer(a.id, { fallback: true })).status).toBe(201);
      expected.set(a.id, { body: { fallback: true }, contentType: "application/json" });
    }
  }
  await link.toReplica();
  for (const [id, want] of expected) {
    const read = await link.readResponse(id);
    const got = (await read.json()) as Json;
    expect(read.status, JSON.stringify(got).slice(0, 300)).toBe(200);
    expect(got.content_type).toBe(want.contentType);
    expect(got.body).toEqual(want.body);
  }
  return { accepted: accepted.length, answersRefused };
}

describe("the link never stops (property, fast-check)", () => {
  it(`arbitrary submissions and answers all come back answered; a canary crosses after every round (seed ${SEED}, ${RUNS} runs)`, async () => {
    const link = await linkedNetworks(ENV);
    const totals = { rounds: 0, submitted: 0, accepted: 0, answersRefused: 0 };
    await fc.assert(
      fc.asyncProperty(round, async (items) => {
        totals.rounds++;
        totals.submitted += items.length;
        const r = await oneRound(link, items);
        totals.accepted += r.accepted;
        totals.answersRefused += r.answersRefused;
        await roundTrip(link, "canary", { round: totals.rounds }, { alive: totals.rounds });
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The generators reach both outcomes: some requests were refused, most crossed.
    expect(totals.rounds).toBe(RUNS);
    expect(totals.accepted).toBeGreaterThan(totals.submitted / 3);
    expect(totals.accepted).toBeLessThan(totals.submitted);
    expect(totals.answersRefused).toBeGreaterThan(0);
    expect(totals.answersRefused).toBeLessThan(totals.accepted);
  }, 120_000);
});
