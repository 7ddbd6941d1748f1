// The importer's statement builders for users (and a revocation beside them), on the runtime's real
// database (libSQL on Node, D1 inside workerd): users travel as JSON arrays, several statements per
// batch when there are many, and a stored newer version is never overwritten.
import { describe, expect, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import { apiKeys, refreshTokens, users } from "../../schema/index.ts";
import type { Services } from "../../src/services.ts";
import type { Statement } from "../../src/deps/db/database.ts";
import { apiKeyRevocationKind, userKind } from "../../src/identity/kinds.ts";
import { newId } from "../../src/lib/ids.ts";

export interface IdentityApplyHarness {
  runtime: "node" | "workerd";
  /** The request network (the replica), where users are applied. */
  replica(): Promise<Services>;
}

const ctx = { batchSequence: 3, receivedAt: "2026-02-01T00:00:00.000Z" };
const run = async (s: Services, st: Statement[]) => {
  if (st.length) await s.db.batch(st as [Statement, ...Statement[]]);
};

function userRecord(o: Partial<typeof users.$inferSelect> = {}) {
  const id = o.id ?? newId("usr");
  return {
    id,
    email: `${id}@Example.com`,
    emailNormalized: `${id}@example.com`.toLowerCase(),
    name: "Ada",
    role: "user" as const,
    status: "active" as const,
    passwordHash: "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    rateLimits: null as string | null,
    version: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...o,
  };
}

/** The stored users of `ids`, by id (90 per query: D1 binds at most 100 parameters). */
async function rowsOf(s: Services, ids: string[]) {
  const out: (typeof users.$inferSelect)[] = [];
  for (let i = 0; i < ids.length; i += 90)
    out.push(
      ...(await s.db.orm
        .select()
        .from(users)
        .where(inArray(users.id, ids.slice(i, i + 90)))
        .all()),
    );
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function liveToken(s: Services, userId: string) {
  const id = newId("rt");
  await s.db.orm.insert(refreshTokens).values({ id, familyId: id, userId, tokenHash: `hash-${id}`, createdAt: ctx.receivedAt, expiresAt: "2099-01-01T00:00:00.000Z" });
  return id;
}
const revokedAt = async (s: Services, tokenId: string) => (await s.db.orm.select().from(refreshTokens).where(eq(refreshTokens.id, tokenId)).get())!.revokedAt;

export function identityApplySuite(h: IdentityApplyHarness) {
  describe(`applying users (${h.runtime})`, () => {
    it("a batch of users needing several statements lands whole, field for field, in one atomic batch", async () => {
      const s = await h.replica();
      // ~1.3 KB per user: 1,200 users are several 500 KB chunks.
      const recs = Array.from({ length: 1200 }, (_, i) => userRecord({ name: `Ünïcode ${i} ✓`, rateLimits: JSON.stringify({ pad: "x".repeat(1200), i }) }));
      const statements = userKind.apply(s, recs, ctx);
      expect(statements.length).toBeGreaterThanOrEqual(3); // at least three chunks (first versions: no session check)
      await run(s, statements);
      const rows = await rowsOf(
        s,
        recs.map((r) => r.id),
      );
      expect(rows.length).toBe(1200);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const r of [recs[0], recs[599], recs[1199]]) expect(byId.get(r.id)).toEqual(r);
      // Applied again (a replayed batch): nothing changes.
      await run(s, userKind.apply(s, recs, ctx));
      expect(
        await rowsOf(
          s,
          recs.map((r) => r.id),
        ),
      ).toEqual(rows);
    });

    it("only a newer version replaces a stored user; an older or equal one is a no-op", async () => {
      const s = await h.replica();
      const stored = [userRecord({ version: 5, name: "stored v5" }), userRecord({ version: 2, name: "stored v2" }), userRecord({ version: 3, name: "stored v3" })];
      await run(s, userKind.apply(s, stored, ctx));
      const incoming = [
        { ...stored[0], version: 4, name: "older v4", status: "disabled" as const },
        { ...stored[1], version: 3, name: "newer v3", updatedAt: "2026-01-05T00:00:00.000Z" },
        { ...stored[2], version: 3, name: "same v3" },
      ];
      await run(s, userKind.apply(s, incoming, ctx));
      const rows = await rowsOf(
        s,
        stored.map((r) => r.id),
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(stored[0].id)).toEqual(stored[0]);
      expect(byId.get(stored[1].id)).toEqual(incoming[1]);
      expect(byId.get(stored[2].id)).toEqual(stored[2]);
    });

    it("ends the sessions of a user disabled or with a new password, by a newer version only", async () => {
      const s = await h.replica();
      const [disabled, rehashed, renamed, stale] = [userRecord(), userRecord(), userRecord(), userRecord({ version: 4 })];
      await run(s, userKind.apply(s, [disabled, rehashed, renamed, stale], ctx));
      const tokens = {
        disabled: await liveToken(s, disabled.id),
        rehashed: await liveToken(s, rehashed.id),
        renamed: await liveToken(s, renamed.id),
        stale: await liveToken(s, stale.id),
      };
      const fresh = userRecord({ status: "disabled" });
      await run(
        s,
        userKind.apply(
          s,
          [
            { ...disabled, version: 2, status: "disabled" as const },
            { ...rehashed, version: 2, passwordHash: "pbkdf2-sha256$100000$CCCCCCCCCCCCCCCCCCCCCC$DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD" },
            { ...renamed, version: 2, name: "Renamed" },
            { ...stale, version: 3, status: "disabled" as const },
            fresh,
          ],
          ctx,
        ),
      );
      expect(await revokedAt(s, tokens.disabled)).toBe(ctx.receivedAt);
      expect(await revokedAt(s, tokens.rehashed)).toBe(ctx.receivedAt);
      expect(await revokedAt(s, tokens.renamed)).toBeNull();
      expect(await revokedAt(s, tokens.stale)).toBeNull();
      const rows = new Map((await rowsOf(s, [disabled.id, renamed.id, stale.id, fresh.id])).map((r) => [r.id, r]));
      expect(rows.get(disabled.id)).toMatchObject({ status: "disabled", version: 2 });
      expect(rows.get(renamed.id)).toMatchObject({ name: "Renamed", version: 2 });
      expect(rows.get(stale.id)).toMatchObject({ status: "active", version: 4 });
      expect(rows.get(fresh.id)).toEqual(fresh);
    });

    it("first versions need no session check; later versions spread over several chunks still end sessions", async () => {
      const s = await h.replica();
      const firsts = Array.from({ length: 20 }, () => userRecord());
      const upserts = userKind.apply(s, firsts, ctx);
      expect(upserts).toHaveLength(1); // one chunk, and no session statement
      await run(s, upserts);
      const [renamed, disabled] = firsts;
      const tokens = { renamed: await liveToken(s, renamed.id), disabled: await liveToken(s, disabled.id), other: await liveToken(s, firsts[2].id) };
      // ~1.6 KB per record: v2 of both in the first chunk, v3 (disabled) of one in a later chunk.
      const pad = (i: number) => JSON.stringify({ pad: "z".repeat(1500), i });
      const recs = [
        { ...renamed, version: 2, name: "Renamed", rateLimits: pad(0) },
        { ...disabled, version: 2, name: "Still active", rateLimits: pad(1) },
        ...Array.from({ length: 600 }, (_, i) => userRecord({ rateLimits: pad(i + 2) })),
        { ...disabled, version: 3, status: "disabled" as const, rateLimits: pad(999) },
      ];
      const statements = userKind.apply(s, recs, ctx);
      expect(statements.length).toBeGreaterThanOrEqual(3);
      await run(s, statements);
      expect(await revokedAt(s, tokens.disabled)).toBe(ctx.receivedAt);
      expect(await revokedAt(s, tokens.renamed)).toBeNull();
      expect(await revokedAt(s, tokens.other)).toBeNull();
      const rows = new Map((await rowsOf(s, [renamed.id, disabled.id])).map((r) => [r.id, r]));
      expect(rows.get(renamed.id)).toMatchObject({ name: "Renamed", version: 2 });
      expect(rows.get(disabled.id)).toMatchObject({ status: "disabled", version: 3 });
    });

    it("users and a revocation in one batch, in the importer's kind order, apply together", async () => {
      const s = await h.replica();
      const owner = userRecord();
      const keyId = newId("key");
      await s.db.orm.insert(apiKeys).values({
        id: keyId,
        userId: owner.id,
        name: "k",
        prefix: "ak_mixed",
        keyHash: `hash-${keyId}`,
        createdAt: ctx.receivedAt,
      });
      const others = Array.from({ length: 50 }, () => userRecord());
      const revocation = { id: keyId, revoked_at: "2026-02-01T00:00:01.000Z", revoked_by: "usr_admin" };
      await run(s, [...userKind.apply(s, [owner, ...others], ctx), ...apiKeyRevocationKind.apply(s, [revocation], ctx)]);
      expect(
        (
          await rowsOf(
            s,
            [owner, ...others].map((r) => r.id),
          )
        ).length,
      ).toBe(51);
      expect(await s.db.orm.select().from(apiKeys).where(eq(apiKeys.id, keyId)).get()).toMatchObject({ revokedAt: revocation.revoked_at, revokedBy: "usr_admin", version: 2 });
    });

    it("a batch that fails part-way writes none of its users", async () => {
      const s = await h.replica();
      const taken = userRecord();
      await run(s, userKind.apply(s, [taken], ctx));
      // A different user with the same normalized e-mail breaks the unique index in the last chunk.
      const recs = [
        ...Array.from({ length: 600 }, () => userRecord({ rateLimits: JSON.stringify({ pad: "y".repeat(1500) }) })),
        userRecord({ emailNormalized: taken.emailNormalized }),
      ];
      const statements = userKind.apply(s, recs, ctx);
      expect(statements.length).toBeGreaterThanOrEqual(2);
      await expect(run(s, statements)).rejects.toThrow();
      expect(
        await rowsOf(
          s,
          recs.map((r) => r.id),
        ),
      ).toEqual([]);
    });
  });
}
