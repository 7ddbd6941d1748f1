// Airlock's hot path: GET /v1/requests/{id}/response, a cache hit, with X-API-Key, on Node with
// the memory cache and limiter, as `npm start` runs the request network.
import type { Case } from "../lib/context.ts";
import { measureCachedRead } from "../lib/airlock.ts";
import { airlockNode } from "./servers.ts";

export const readNode: Case = {
  id: "read-node",
  label: "Airlock cached read, Node, memory cache and limits",
  uses: ["airlock-node"],
  async run(ctx) {
    await measureCachedRead(ctx, this, await airlockNode(ctx));
  },
};
