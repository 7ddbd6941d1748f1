import { serve, type ServerType } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../config.ts";
import { createApp } from "../app.ts";
import type { Services } from "../services.ts";
import { bootstrapOnPrem, buildOnPremServices, onPremRuntime, type OnPremOptions } from "./node/services.ts";
import { startNetworkJobs, type RunningJobs } from "./jobs.ts";
import { nodeGzip } from "./node/gzip.ts";

export interface RunningServer {
  url: string;
  services: Services;
  close(): Promise<void>;
}

// In-process requests (app.request in tests) have no socket: no address rather than an error.
export const nodeRuntime = () => ({ ...onPremRuntime("node", (c) => (c.env?.incoming ? getConnInfo(c).remote.address : undefined)), gzip: nodeGzip });

/** One network on Node: services, HTTP server on host:port, scheduler. Used by the CLI entry, `npm start` and tests. */
export async function startNodeServer(env: Record<string, string | undefined>, opts: Partial<OnPremOptions> & { scheduler?: boolean } = {}): Promise<RunningServer> {
  const config = loadConfig(env);
  const services = await buildOnPremServices(config, { runtime: nodeRuntime(), ...opts });
  await bootstrapOnPrem(services);
  const app = createApp(services);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port ?? 0, hostname: config.host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  const jobs: RunningJobs | undefined = opts.scheduler === false ? undefined : startNetworkJobs(services);
  services.logger.log("info", "listening", { url, role: config.role, runtime: "node" });
  return {
    url,
    services,
    async close() {
      await jobs?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.db.close();
    },
  };
}
