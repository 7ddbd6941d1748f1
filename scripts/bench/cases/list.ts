// The first page of GET /v1/requests (the user's requests, newest first), after the submit case
// has added its rows, on Node with the memory cache and limiter.
import type { Case } from "../lib/context.ts";
import { measureHttp } from "../lib/measure.ts";
import { airlockNode } from "./servers.ts";

export const list: Case = {
  id: "list",
  label: "Airlock first page of GET /v1/requests, Node",
  uses: ["airlock-node"],
  async run(ctx) {
    const a = await airlockNode(ctx);
    const headers = { "x-api-key": a.apiKey };
    const url = `${a.url}/v1/requests`;
    const probe = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
    const page = (await probe.json()) as { items?: unknown[] };
    if (probe.status !== 200 || !Array.isArray(page.items) || !page.items.length) throw new Error(`list answered ${probe.status} ${JSON.stringify(page).slice(0, 200)}`);
    const total = 1 + (ctx.result.http.find((h) => h.id === "submit")?.ok ?? 0);
    await measureHttp(ctx, { ...this, note: `a page of ${page.items.length} of the user's ${total.toLocaleString("en-US")}+ requests` }, { url, headers }, a.child);
  },
};
