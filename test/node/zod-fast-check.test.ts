// The yes-only pre-check in front of zod (src/lib/zod-fast-check.ts): it may only ever say "valid"
// where zod says valid and would return an equal value; everything else is left to zod.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { surelyValid } from "../../src/lib/zod-fast-check.ts";
import { RECORD_KINDS } from "../../src/record-kinds.ts";
import { parseRecordData } from "../../src/transfer/contract.ts";

const user = {
  id: "usr_1",
  email: "a@example.com",
  emailNormalized: "a@example.com",
  name: "A",
  role: "user",
  status: "active",
  passwordHash: "pbkdf2-sha256$1$x$y",
  rateLimits: null,
  version: 2,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

const T = "2026-01-01T00:00:00.000Z";
/** An ordinary record of kinds the pre-check understands (others, like a response with its refined text, always go to zod). */
const samples: Record<string, Record<string, unknown>> = {
  user,
  api_key: {
    id: "key_1",
    userId: "usr_1",
    name: "k",
    prefix: "ak_1",
    scopes: "[]",
    rateLimits: null,
    expiresAt: null,
    lastUsedAt: T,
    createdAt: T,
    revokedAt: null,
    revokedBy: null,
    version: 1,
  },
  api_key_revocation: { id: "key_1", revoked_at: T, revoked_by: null },
};

/** Values around `base`: each field replaced by values of other types and at the edges, a field missing, one extra. */
function variants(base: Record<string, unknown>): unknown[] {
  const odd = [null, undefined, "", "x", "x".repeat(65), "x".repeat(513), "x".repeat(5000), 0, -1, 1, 1.5, 2 ** 53, Number.NaN, true, [], {}, "admin", "disabled", "nope"];
  const out: unknown[] = [base, null, [], "str", 1, { ...base, extra: 1 }, JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(base).slice(1)}`)];
  for (const k of Object.keys(base)) {
    const { [k]: _, ...missing } = base;
    out.push(missing);
    for (const v of odd) out.push({ ...base, [k]: v });
  }
  return out;
}

describe("surelyValid", () => {
  it("never says valid where zod refuses, or where zod's value would differ, for every record kind's schema", () => {
    let yes = 0;
    const kinds = new Set<string>();
    for (const k of RECORD_KINDS) {
      for (const v of variants(samples[k.kind] ?? user)) {
        if (!surelyValid(k.schema, v)) continue;
        yes++;
        kinds.add(k.kind);
        const z2 = k.schema.safeParse(v);
        expect(z2.success, `${k.kind}: ${JSON.stringify(v)}`).toBe(true);
        expect(z2.data).toEqual(v);
      }
    }
    expect(yes).toBeGreaterThan(20);
    expect([...kinds].sort()).toEqual(Object.keys(samples).sort());
  });

  it("says valid for a plain record of a simple schema, and no for each broken field", () => {
    const schema = RECORD_KINDS.find((k) => k.kind === "user")!.schema;
    expect(surelyValid(schema, user)).toBe(true);
    expect(surelyValid(schema, { ...user, role: "root" })).toBe(false);
    expect(surelyValid(schema, { ...user, version: 0 })).toBe(false);
    expect(surelyValid(schema, { ...user, version: 1.5 })).toBe(false);
    expect(surelyValid(schema, { ...user, passwordHash: "" })).toBe(false);
    expect(surelyValid(schema, { ...user, name: "x".repeat(201) })).toBe(false);
    expect(surelyValid(schema, { ...user, rateLimits: 5 })).toBe(false);
    expect(surelyValid(schema, { ...user, unknownField: 1 })).toBe(false);
  });

  it("gives no pre-check (always no) to schemas with parts it does not understand", () => {
    const cases: z.ZodType[] = [
      z.object({ a: z.string().regex(/^a/) }),
      z.object({ a: z.string().optional() }),
      z.object({ a: z.string().default("x") }),
      z.object({ a: z.string().transform((s) => s.toUpperCase()) }),
      z.object({ a: z.string() }).refine(() => false),
      z.object({ a: z.number().multipleOf(2) }),
      z.object({ a: z.unknown() }),
      z.strictObject({ a: z.string() }),
      z.looseObject({ a: z.string() }),
      z.string(),
    ];
    for (const schema of cases) expect(surelyValid(schema, { a: "abc" })).toBe(false);
    expect(
      surelyValid(z.object({ a: z.string().max(3), b: z.number().int().gte(1).lt(5), c: z.boolean(), d: z.enum(["x"]).nullable() }), { a: "abc", b: 4, c: false, d: null }),
    ).toBe(true);
  });

  it("parseRecordData gives the same verdicts with it: the value itself when valid, zod's reason and ignored fields otherwise", () => {
    const k = RECORD_KINDS.find((x) => x.kind === "user")!;
    const ok = parseRecordData(k, { ...user });
    expect(ok).toEqual({ ok: true, value: user, ignored: [] });
    expect(parseRecordData(k, { ...user, newField: 1 })).toEqual({ ok: true, value: user, ignored: ["newField"] });
    expect(parseRecordData(k, { ...user, role: "root" })).toMatchObject({ ok: false, reason: expect.stringMatching(/^role: /) });
  });
});
