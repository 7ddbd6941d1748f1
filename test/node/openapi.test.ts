import { beforeAll, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT } from "../helpers/spawn.ts";
import { nodeApp, tempDir } from "../helpers/node-app.ts";
import { MATRIX } from "../shared/auth-matrix.routes.ts";
import { seedUser } from "../helpers/identity-fixtures.ts";
import type { Services } from "../../src/services.ts";

type Network = "request" | "response";
type Operation = { operationId?: string };
type Doc = { paths: Record<string, Record<string, Operation>> };
const NETWORKS: Network[] = ["request", "response"];
/** Operations without credentials: not in the auth matrix, served on both networks. */
const PUBLIC = ["GET /health", "GET /ready", "GET /v1/meta", "GET /docs/assets/{file}", "POST /v1/auth/token", "POST /v1/auth/refresh"];
/** What a network answers for an operation that the other network serves. */
const ELSEWHERE = ["owned_by_other_network", "wrong_network"];
/** Warnings redocly's recommended rules still report, explained in docs/api.md. */
const EXPLAINED_WARNINGS = ["info-license"];

const operations = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })));
const templateRegex = (template: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);

const docs = {} as Record<Network, Doc>;
const services = {} as Record<Network, Services>;
beforeAll(async () => {
  for (const n of NETWORKS) {
    const { app, services: s } = await nodeApp({ NETWORK_ROLE: n });
    // As a deployed network serves it: the document names the origin it was fetched from.
    docs[n] = (await (await app.request(`https://${n}.airlock.test/openapi.json`)).json()) as Doc;
    services[n] = s;
  }
});

describe("OpenAPI documents per network", () => {
  it("every operation has a unique camelCase operationId, the same on both networks", () => {
    const byKey = new Map<string, string>();
    for (const n of NETWORKS) {
      const ids = operations(docs[n]).map(({ key, op }) => {
        expect(op.operationId, key).toMatch(/^[a-z][a-zA-Z0-9]*$/);
        if (byKey.has(key)) expect(op.operationId, key).toBe(byKey.get(key));
        byKey.set(key, op.operationId!);
        return op.operationId;
      });
      expect(new Set(ids).size, `${n}: duplicate operationId`).toBe(ids.length);
    }
    expect(new Set(byKey.values()).size).toBe(byKey.size);
  });

  it("each network lists exactly the operations it serves (the auth matrix's answers decide)", async () => {
    const templates = [...new Set(NETWORKS.flatMap((n) => operations(docs[n]).map((o) => o.key)))];
    for (const n of NETWORKS) {
      const s = services[n];
      const ctx = { s, caller: await seedUser(s, { role: "admin" }) };
      const expected = new Set(PUBLIC);
      for (const r of MATRIX) {
        const path = typeof r.path === "string" ? r.path : await r.path(ctx);
        const matches = templates.filter((t) => t.startsWith(`${r.method} `) && templateRegex(t.slice(r.method.length + 1)).test(path));
        expect(matches, `${r.method} ${path}`).toHaveLength(1);
        const ok = r.ok(n);
        if (typeof ok === "number" || !ELSEWHERE.includes(ok.code)) expected.add(matches[0]);
      }
      expect(
        operations(docs[n])
          .map((o) => o.key)
          .sort(),
        n,
      ).toEqual([...expected].sort());
    }
    // Spot checks, so the rule above cannot pass by both sides being empty.
    const keys = (n: Network) => operations(docs[n]).map((o) => o.key);
    expect(keys("request")).toEqual(expect.arrayContaining(["POST /v1/requests", "POST /v1/api-keys", "POST /v1/requests/{id}/cancel"]));
    expect(keys("request")).not.toEqual(expect.arrayContaining(["GET /v1/queue"]));
    expect(keys("response")).toEqual(expect.arrayContaining(["POST /v1/admin/users", "GET /v1/queue", "POST /v1/requests/{id}/reject", "POST /v1/webhooks"]));
    expect(keys("response")).not.toEqual(expect.arrayContaining(["POST /v1/requests"]));
  });

  it("redocly lint (recommended rules) finds no error in either document", async () => {
    const dir = await tempDir();
    for (const n of NETWORKS) {
      const file = join(dir, `${n}.json`);
      await writeFile(file, JSON.stringify(docs[n], null, 2));
      const p = spawnSync(join(ROOT, "node_modules/.bin/redocly"), ["lint", "--extends", "recommended", "--format", "json", file], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      });
      const report = JSON.parse(p.stdout) as { totals: { errors: number }; problems: Array<{ ruleId: string; severity: string; message: string }> };
      expect(
        report.problems.filter((x) => x.severity === "error"),
        n,
      ).toEqual([]);
      expect(report.totals.errors, n).toBe(0);
      expect(p.status, `${n}: ${p.stderr}`).toBe(0);
      // Any other warning is new: fix it, or explain it in docs/api.md and list it above.
      expect(
        report.problems.map((x) => `${x.severity} ${x.ruleId}`),
        n,
      ).toEqual(EXPLAINED_WARNINGS.map((r) => `warn ${r}`));
    }
  }, 60_000);
});

describe("OpenAPI document generation", () => {
  it("is generated once per app, and each answer names the origin it was asked at", async () => {
    const { app } = await nodeApp({ NETWORK_ROLE: "request" });
    let generated = 0;
    const generate = app.getOpenAPI31Document.bind(app);
    app.getOpenAPI31Document = ((...a: Parameters<typeof generate>) => {
      generated++;
      return generate(...a);
    }) as typeof generate;
    const a = await app.request("https://one.airlock.test/openapi.json");
    const b = await app.request("http://127.0.0.1:8787/openapi.json");
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toMatch(/^application\/json/);
    const [da, db] = [(await a.json()) as Doc & { servers: unknown; openapi: string }, (await b.json()) as Doc & { servers: unknown }];
    expect(generated).toBe(1);
    expect(da.openapi).toBe("3.1.0");
    expect(da.servers).toEqual([{ url: "https://one.airlock.test" }]);
    expect(db.servers).toEqual([{ url: "http://127.0.0.1:8787" }]);
    expect({ ...da, servers: null }).toEqual({ ...db, servers: null });
    expect(Object.keys(da.paths)).toContain("/v1/requests/{id}/response");
  });
});
