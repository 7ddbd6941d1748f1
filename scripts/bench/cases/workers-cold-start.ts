// The Worker's cold start in workerd: from creating a Miniflare instance (which starts workerd
// and loads the bundled script, as test/helpers/workerd.ts runs it) to the first answered request
// (GET /health), several times; the median is reported.
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import type { Case } from "../lib/context.ts";

const COMPATIBILITY_DATE = "2026-05-01";
const live = new Set<Miniflare>();

/** Disposes Miniflare instances a failure or Ctrl-C left running (their workerd processes with them). */
export async function disposeMiniflares(): Promise<void> {
  await Promise.all([...live].map((mf) => mf.dispose().catch(() => {})));
  live.clear();
}

export const workersColdStart: Case = {
  id: "workers-cold-start",
  label: "Worker cold start in workerd (Miniflare)",
  uses: [],
  async run(ctx) {
    const out = await build({
      entryPoints: [join(ctx.root, "src/runtime/worker.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["workerd", "worker"],
      write: false,
      logLevel: "silent",
    });
    const script = out.outputFiles[0].text;
    ctx.log(`${this.label}: ${ctx.coldStarts} starts`);
    for (let i = 0; i < ctx.coldStarts; i++) {
      const t = performance.now();
      const mf = new Miniflare({
        modules: true,
        script,
        compatibilityDate: COMPATIBILITY_DATE,
        d1Databases: { DB: "airlock" },
        r2Buckets: ["BATCHES"],
        d1Persist: join(ctx.tmp, `workerd-${i}`, "d1"),
        r2Persist: join(ctx.tmp, `workerd-${i}`, "r2"),
        bindings: {
          NETWORK_ROLE: "request",
          AIRLOCK_NETWORK_ID: "airlock-request",
          AIRLOCK_PEER_NETWORK_ID: "airlock-response",
          AIRLOCK_LOG_LEVEL: "error",
          AIRLOCK_JWT_SECRET: "bench-cold-start-0123456789abcdef0123456789",
        },
      });
      live.add(mf);
      try {
        const res = await Promise.race([
          mf.dispatchFetch("http://airlock.test/health"),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer from workerd within 60 s")), 60_000)),
        ]);
        const text = await res.text();
        const ms = performance.now() - t;
        if (res.status !== 200) throw new Error(`GET /health answered ${res.status}: ${text.slice(0, 200)}`);
        ctx.result.workers.coldStartMs.push(ms);
      } finally {
        live.delete(mf);
        await mf.dispose();
      }
    }
    ctx.log(`  ${ctx.result.workers.coldStartMs.map((x) => x.toFixed(0)).join(", ")} ms`);
  },
};
