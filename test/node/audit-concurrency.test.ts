import { describe, expect, it } from "vitest";
import { audit, verifyAuditChain } from "../../src/audit/audit.ts";
import { auditLog } from "../../schema/index.ts";
import { asc } from "drizzle-orm";
import { oneAtATime } from "../../src/lib/serial.ts";
import { buildOnPremServices } from "../../src/runtime/node/services.ts";
import { nodeServices } from "../helpers/node-app.ts";

describe("audit chain under concurrent writers", () => {
  it("many writers in one process each get the next seq; none fails and the chain holds", async () => {
    const s = await nodeServices();
    const n = 40;
    await Promise.all(Array.from({ length: n }, (_, i) => audit(s, { actorType: "system", actorId: `w${i}`, action: "test.concurrent" })));
    const rows = await s.db.orm.select({ seq: auditLog.seq, actorId: auditLog.actorId }).from(auditLog).orderBy(asc(auditLog.seq)).all();
    const mine = rows.filter((r) => r.actorId?.startsWith("w"));
    expect(mine).toHaveLength(n);
    expect(new Set(mine.map((r) => r.actorId)).size).toBe(n);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(await verifyAuditChain(s)).toMatchObject({ ok: true, checked: rows.length, first_broken_seq: null });
  });

  it("two connections to one file (two processes' worth) retry on a taken seq and both finish", async () => {
    const a = await nodeServices();
    const b = await buildOnPremServices(a.config, { runtime: a.runtime, logger: a.logger });
    try {
      const n = 15;
      await Promise.all(
        Array.from({ length: n }, (_, i) => [
          audit(a, { actorType: "system", actorId: `a${i}`, action: "test.concurrent" }),
          audit(b, { actorType: "system", actorId: `b${i}`, action: "test.concurrent" }),
        ]).flat(),
      );
      const rows = await a.db.orm.select({ seq: auditLog.seq, actorId: auditLog.actorId }).from(auditLog).orderBy(asc(auditLog.seq)).all();
      expect(rows.filter((r) => /^[ab]\d+$/.test(r.actorId ?? ""))).toHaveLength(2 * n);
      expect(await verifyAuditChain(a)).toMatchObject({ ok: true, first_broken_seq: null });
    } finally {
      await b.db.close();
    }
  });
});

describe("oneAtATime", () => {
  it("runs calls with the same key in order, one at a time, and a failure does not stop the next", async () => {
    const key = {};
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) =>
      oneAtATime(key, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([step("1", 20), step("2", 1, true), step("3", 5)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });
});
