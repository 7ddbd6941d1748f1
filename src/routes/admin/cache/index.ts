import type { App } from "../../../http/router.ts";
import { registerCacheStats } from "./stats.ts";
import { registerCacheHealth } from "./health.ts";
import { registerCacheClear } from "./clear.ts";
import { registerCacheClearUser } from "./clear-user.ts";
import { registerCacheInvalidate } from "./invalidate.ts";

/** Cache administration, both networks, admins only; every deletion is audited. */
export function registerCacheAdminRoutes(app: App) {
  registerCacheStats(app);
  registerCacheHealth(app);
  registerCacheClear(app);
  registerCacheClearUser(app);
  registerCacheInvalidate(app);
}
