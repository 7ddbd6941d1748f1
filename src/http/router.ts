import { OpenAPIHono } from "@hono/zod-openapi";
import type { HonoEnv } from "../env.ts";
import { validationHook } from "../middleware/problems.ts";

export type Network = "request" | "response";

/**
 * Spread into a createRoute config when only one network serves the operation.
 * The other network still answers the path (with the problem that says where it
 * lives), but leaves the operation out of its /openapi.json.
 */
export const servedOn = (network: Network) => ({ servedOn: network });

/** Spread into a public operation's createRoute config: it needs no credentials (an explicit empty security list). */
export const publicAccess = () => ({ security: [] as Array<Record<string, string[]>> });

/**
 * Every (sub-)app gets the same validation hook, so zod failures are always our problem shape.
 * Given the network it runs as, the app documents only the operations that network serves.
 */
export function createRouter(network?: Network) {
  const app = new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });
  const register = app.openapi;
  app.openapi = ((route: Parameters<typeof register>[0] & { servedOn?: Network }, ...rest: unknown[]) => {
    const { servedOn: only, ...config } = route;
    const hide = Boolean(config.hide) || (only !== undefined && network !== undefined && only !== network);
    return (register as (...a: unknown[]) => unknown)({ ...config, hide }, ...rest);
  }) as typeof register;
  return app;
}

export type App = ReturnType<typeof createRouter>;
