import { describe, expect, it } from "vitest";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { ROOT } from "../helpers/spawn.ts";
import { ALL_JOBS } from "../../src/jobs/table.ts";
import { parseCron } from "../../src/jobs/cron.ts";
import { VERSION } from "../../src/version.ts";
import { nodeApp } from "../helpers/node-app.ts";

describe("project invariants", () => {
  it("wrangler.toml's cron triggers are exactly the job table's cron strings", async () => {
    const toml = await readFile(join(ROOT, "wrangler.toml"), "utf8");
    const m = toml.match(/^crons\s*=\s*\[([^\]]*)\]/m);
    expect(m).not.toBeNull();
    const crons = [...m![1].matchAll(/"([^"]+)"/g)].map((x) => x[1]).sort();
    expect(crons).toEqual([...new Set(ALL_JOBS.map((j) => j.cron))].sort());
    for (const c of crons) expect(() => parseCron(c)).not.toThrow();
    // Cloudflare numbers weekdays 1=Sunday..7=Saturday, Unix cron 0=Sunday: only names mean the same on both.
    for (const c of crons) expect(c.split(" ")[4]).toMatch(/^(\*|[A-Z]{3}([-,][A-Z]{3})*)$/);
  });

  it("src/version.ts matches package.json", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it("migrations are drizzle-kit's files, listed in its journal", async () => {
    const files = (await readdir(join(ROOT, "migrations"))).filter((f) => f.endsWith(".sql")).sort();
    const journal = JSON.parse(await readFile(join(ROOT, "migrations/meta/_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
    expect(files).toEqual(journal.entries.map((e) => `${e.tag}.sql`));
  });

  for (const role of ["request", "response"] as const) {
    it(`/openapi.json validates as OpenAPI 3.1 (${role} network)`, async () => {
      const { app } = await nodeApp({ NETWORK_ROLE: role });
      const doc = (await (await app.request("/openapi.json")).json()) as Record<string, unknown>;
      expect(doc.openapi).toBe("3.1.0");
      // Throws with the first schema violation if the document is not valid.
      const api = (await SwaggerParser.validate(structuredClone(doc) as never)) as { paths: Record<string, unknown> };
      // Each network documents only what it serves (the exact lists: test/node/openapi.test.ts).
      expect(Object.keys(api.paths).length).toBe(role === "request" ? 44 : 46);
      // Every route declares who may call it: the public ones an empty security list, all others the bearer scheme and their roles.
      const PUBLIC = ["GET /health", "GET /ready", "GET /v1/meta", "GET /docs/assets/{file}", "POST /v1/auth/token", "POST /v1/auth/refresh"];
      const paths = doc.paths as Record<string, Record<string, { security?: unknown; description?: string }>>;
      for (const [path, ops] of Object.entries(paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const name = `${method.toUpperCase()} ${path}`;
          if (PUBLIC.includes(name)) expect(op.security, name).toEqual([]);
          else {
            expect(op.security, name).toEqual([{ bearer: [] }]);
            expect(op.description, name).toMatch(/^Access: /);
          }
        }
      }
    });
  }
});
