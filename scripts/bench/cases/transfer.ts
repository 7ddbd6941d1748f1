// Export and import throughput beside the physical-limit proxy (the same rows as synchronous
// prepared INSERTs in one transaction), at each record count; each step in its own process,
// so each peak RSS is that step's. The transfer code is used through its jobs, so whatever
// speeds them up shows here unchanged. The steps run bundled by esbuild under plain node, as a
// release runs the app (tsx alone would add ~55 MiB to every peak).
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import type { Case, Ctx } from "../lib/context.ts";
import { runToJson } from "../lib/procs.ts";
import type { TransferSize } from "../result.ts";

interface StepResult {
  ms: number;
  rssMiB: number;
  batches?: number;
  bytes?: number;
}

function step(ctx: Ctx, script: string, name: string, dir: string, records: number): Promise<StepResult> {
  const timeoutMs = 60_000 + records * 5; // 100,000 records: 10 min at most, far beyond what a run takes
  return runToJson<StepResult>(
    `transfer-${records}-${name}`,
    process.execPath,
    [script, name, dir, String(records)],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", BENCH_ROOT: ctx.root },
      cwd: ctx.root,
      logDir: ctx.logDir,
    },
    timeoutMs,
  );
}

async function runSizes(ctx: Ctx, script: string) {
  for (const records of ctx.records) {
    const dir = join(ctx.tmp, `transfer-${records}`);
    ctx.log(`export and import of ${records.toLocaleString("en-US")} records: seeding`);
    await step(ctx, script, "seed", dir, records);
    const exp = await step(ctx, script, "export", dir, records);
    const imp = await step(ctx, script, "import", dir, records);
    const proxy = await step(ctx, script, "proxy", dir, records);
    if (ctx.result.transferIdleRssMiB === null) ctx.result.transferIdleRssMiB = (await step(ctx, script, "idle", dir, records)).rssMiB;
    const rate = (ms: number) => (records / ms) * 1000;
    const row: TransferSize = {
      records,
      batches: exp.batches ?? 0,
      kib: (exp.bytes ?? 0) / 1024,
      exportRps: rate(exp.ms),
      importRps: rate(imp.ms),
      proxyRps: rate(proxy.ms),
      exportRssMiB: exp.rssMiB,
      importRssMiB: imp.rssMiB,
      proxyRssMiB: proxy.rssMiB,
    };
    ctx.result.transfer.push(row);
    ctx.log(
      `  export ${Math.round(row.exportRps)}/s (${exp.rssMiB.toFixed(0)} MiB), import ${Math.round(row.importRps)}/s (${imp.rssMiB.toFixed(0)} MiB), proxy ${Math.round(row.proxyRps)}/s`,
    );
  }
}

export const transfer: Case = {
  id: "transfer",
  label: "Export and import vs prepared-insert proxy",
  uses: [],
  async run(ctx) {
    // Beside node_modules, so the packages left out of the bundle resolve as they do for the app.
    const cache = join(ctx.root, "node_modules/.cache/airlock-bench");
    const script = join(cache, `transfer-child-${process.pid}.mjs`);
    await mkdir(cache, { recursive: true });
    await build({
      entryPoints: [join(ctx.root, "scripts/bench/transfer-child.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      outfile: script,
      logLevel: "warning",
    });
    try {
      await runSizes(ctx, script);
    } finally {
      await rm(script, { force: true });
    }
  },
};
