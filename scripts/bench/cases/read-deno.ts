// The cached read on Deno (`npm run start:deno`), memory cache and limiter.
import type { Case } from "../lib/context.ts";
import { measureCachedRead, startAirlock } from "../lib/airlock.ts";

export const readDeno: Case = {
  id: "read-deno",
  label: "Airlock cached read, Deno, memory cache and limits",
  uses: [],
  async run(ctx) {
    const server = await startAirlock(ctx, "airlock-deno", "deno");
    try {
      await measureCachedRead(ctx, this, server);
    } finally {
      await server.child.stop();
    }
  },
};
