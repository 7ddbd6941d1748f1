import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createApp } from "../../src/app.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { buildOnPremServices } from "../../src/runtime/node/services.ts";
import { nodeRuntime } from "../../src/runtime/node-server.ts";
import type { Services } from "../../src/services.ts";
import type { Clock } from "../../src/deps/clock.ts";
import { transferEnv } from "./keys.ts";

/** Settings every test network gets (secrets here are test-only values). */
export const TEST_ENV = {
  AIRLOCK_MAX_BODY_BYTES: "4096",
  AIRLOCK_JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
  AIRLOCK_COURIER_TOKEN: "test-courier-token-0123456789abcdef0123",
  AIRLOCK_METRICS_TOKEN: "test-metrics-token-0123456789abcdef0123",
};

const dirs: string[] = [];
const open: Services[] = [];
afterAll(async () => {
  for (const s of open.splice(0)) await s.db.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

export async function tempDir(prefix = "airlock-test-"): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Services over a real libSQL file in a temp folder, with the real migrations; logs kept in memory. */
export async function nodeServices(env: Record<string, string> = {}, opts: { clock?: Clock } = {}): Promise<Services & { logger: MemoryLogger }> {
  const dir = await tempDir();
  const role = (env.NETWORK_ROLE ?? "response") as "request" | "response";
  const config = loadConfig({ ...TEST_ENV, ...(await transferEnv(role)), NETWORK_ROLE: role, AIRLOCK_DATA_DIR: dir, ...env });
  const logger = new MemoryLogger();
  const s = await buildOnPremServices(config, { runtime: nodeRuntime(), logger, clock: opts.clock });
  open.push(s);
  return s as Services & { logger: MemoryLogger };
}

export async function nodeApp(env: Record<string, string> = {}, extend?: (app: ReturnType<typeof createApp>) => void) {
  const services = await nodeServices(env);
  const app = createApp(services);
  extend?.(app);
  return { app, services };
}
