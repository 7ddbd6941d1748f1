import { OpenAPIHono } from "@hono/zod-openapi";
import type { HonoEnv } from "../env.ts";
import { validationHook } from "../middleware/problems.ts";

/** Every (sub-)app gets the same validation hook, so zod failures are always our problem shape. */
export function createRouter() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });
}

export type App = ReturnType<typeof createRouter>;
