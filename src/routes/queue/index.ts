import type { App } from "../../http/router.ts";
import { registerQueueList } from "./list.ts";
import { registerQueueClaim } from "./claim.ts";

/** The operators' queue on the response network: listing and claiming received requests. */
export function registerQueueRoutes(app: App) {
  registerQueueList(app);
  registerQueueClaim(app);
}
