import type { AccessPolicy } from "../identity/access.ts";

/** Who moves batches: admins, couriers, and the network's courier token (automated couriers, the replica's first batch). */
export const courierPolicy = (scope: "transfer:read" | "transfer:write"): AccessPolicy => ({ roles: ["admin", "courier"], courierToken: true, scope });

/** Retrying a dead letter changes data on this network (or re-sends it): admins only. */
export const deadLetterRetryPolicy: AccessPolicy = { roles: ["admin"], scope: "transfer:write" };
