// Runs in Node before the workerd tests: the response network (master) as a real HTTP server
// on 127.0.0.1, with the batch keys that match the Worker's (see vitest.workers.config.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startNodeServer } from "../../src/runtime/node-server.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { transferSettings, type NetworkKeys } from "../../src/transfer/batch/network-keys.ts";

declare module "vitest" {
  export interface ProvidedContext {
    e2eMaster: { url: string; courierToken: string; admin: { email: string; password: string } };
    /** The master's private batch key, for tests that forge the master's batches inside workerd. */
    masterSigningKey: object;
  }
}

export default async function setup(project: TestProject) {
  const keys = JSON.parse(process.env.AIRLOCK_TEST_KEYS!) as Record<"request" | "response", NetworkKeys>;
  const dir = await mkdtemp(join(tmpdir(), "airlock-e2e-master-"));
  const admin = { email: "root@example.com", password: "root password, long enough" };
  const courierToken = "e2e-master-courier-token-0123456789abcdef";
  const master = await startNodeServer(
    {
      NETWORK_ROLE: "response",
      AIRLOCK_DATA_DIR: dir,
      PORT: "0",
      AIRLOCK_JWT_SECRET: "e2e-master-jwt-secret-0123456789abcdef012",
      AIRLOCK_COURIER_TOKEN: courierToken,
      ...transferSettings(keys.response, keys.request),
      AIRLOCK_ADMIN_EMAIL: admin.email,
      AIRLOCK_ADMIN_PASSWORD: admin.password,
    },
    { scheduler: false, logger: new MemoryLogger() },
  );
  project.provide("e2eMaster", { url: master.url, courierToken, admin });
  project.provide("masterSigningKey", keys.response.signing.privateJwk);
  return async () => {
    await master.close();
    await rm(dir, { recursive: true, force: true });
  };
}
