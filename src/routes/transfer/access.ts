import { access } from "../../middleware/auth.ts";

/** Transfer routes: admins, couriers, and the network's courier token (automated couriers, the replica's first batch). */
export const courierAccess = (scope: "transfer:read" | "transfer:write") => access({ roles: ["admin", "courier"], courierToken: true, scope });
