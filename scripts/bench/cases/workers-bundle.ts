// The Worker's size as deployed: `wrangler deploy --dry-run --outdir <tmp>`, then every file it
// wrote gzipped (level 9, as an upload is compressed).
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Case } from "../lib/context.ts";
import { runChild } from "../lib/procs.ts";

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (!e.name.endsWith(".map") && e.name !== "README.md") out.push(p);
  }
  return out;
}

export const workersBundle: Case = {
  id: "workers-bundle",
  label: "Worker bundle (wrangler deploy --dry-run)",
  uses: [],
  async run(ctx) {
    const outdir = join(ctx.tmp, "worker-dist");
    ctx.log(`${this.label}`);
    await runChild(
      "wrangler",
      join(ctx.root, "node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--outdir", outdir],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", WRANGLER_SEND_METRICS: "false", CI: "true" },
        cwd: ctx.root,
        logDir: ctx.logDir,
      },
      180_000,
    );
    let raw = 0;
    let gz = 0;
    for (const f of await files(outdir)) {
      raw += (await stat(f)).size;
      gz += gzipSync(await readFile(f), { level: 9 }).length;
    }
    if (!raw) throw new Error(`wrangler wrote nothing into ${outdir}`);
    ctx.result.workers.bundleBytes = raw;
    ctx.result.workers.gzipBytes = gz;
    ctx.log(`  ${(raw / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(1)} KiB gzipped`);
  },
};
