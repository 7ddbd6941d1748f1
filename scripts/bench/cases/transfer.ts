// Export and import throughput beside the physical-limit proxy (the same rows as synchronous
// prepared INSERTs in one transaction), at each record count; each step in its own process,
// so each peak RSS is that step's. The transfer code is used through its jobs, so whatever
// speeds them up shows here unchanged.
import { join } from "node:path";
import type { Case, Ctx } from "../lib/context.ts";
import { runToJson } from "../lib/procs.ts";
import type { TransferSize } from "../result.ts";

interface StepResult {
  ms: number;
  rssMiB: number;
  batches?: number;
  bytes?: number;
}

function step(ctx: Ctx, name: string, dir: string, records: number): Promise<StepResult> {
  const timeoutMs = 60_000 + records * 5; // 100,000 records: 10 min at most, far beyond what a run takes
  return runToJson<StepResult>(
    `transfer-${records}-${name}`,
    process.execPath,
    ["--import", "tsx", "scripts/bench/transfer-child.ts", name, dir, String(records)],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      cwd: ctx.root,
      logDir: ctx.logDir,
    },
    timeoutMs,
  );
}

export const transfer: Case = {
  id: "transfer",
  label: "Export and import vs prepared-insert proxy",
  uses: [],
  async run(ctx) {
    for (const records of ctx.records) {
      const dir = join(ctx.tmp, `transfer-${records}`);
      ctx.log(`export and import of ${records.toLocaleString("en-US")} records: seeding`);
      await step(ctx, "seed", dir, records);
      const exp = await step(ctx, "export", dir, records);
      const imp = await step(ctx, "import", dir, records);
      const proxy = await step(ctx, "proxy", dir, records);
      if (ctx.result.transferIdleRssMiB === null) ctx.result.transferIdleRssMiB = (await step(ctx, "idle", dir, records)).rssMiB;
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
  },
};
