// The ceiling: Hono's hello world on @hono/node-server, in its own process like every server here.
import type { Case } from "../lib/context.ts";
import { measureHttp } from "../lib/measure.ts";
import { freePort, startChild, waitForHttp } from "../lib/procs.ts";

export const ceiling: Case = {
  id: "ceiling",
  label: "ceiling: Hono hello world on @hono/node-server",
  uses: [],
  async run(ctx) {
    const port = await freePort();
    const child = startChild("ceiling", process.execPath, ["--import", "tsx", "scripts/bench/peers/hono-hello.ts"], {
      env: { PATH: process.env.PATH ?? "", PORT: String(port) },
      cwd: ctx.root,
      logDir: ctx.logDir,
    });
    try {
      const url = `http://127.0.0.1:${port}/`;
      await waitForHttp(url, child);
      await measureHttp(ctx, this, { url });
    } finally {
      await child.stop();
    }
  },
};
