// Deno entry: `npm run start:deno` (runs from node_modules, offline).
import { ConfigError, loadConfig } from "../config.ts";
import { createApp } from "../app.ts";
import { bootstrapOnPrem, buildOnPremServices, onPremRuntime } from "./node/services.ts";
import { startNetworkJobs } from "./jobs.ts";

type DenoServeInfo = { remoteAddr: { hostname: string } };
declare const Deno: {
  env: { toObject(): Record<string, string> };
  exit(code: number): never;
  addSignalListener(sig: "SIGINT" | "SIGTERM", fn: () => void): void;
  serve(
    opts: { port: number; hostname: string; onListen?: (a: { port: number; hostname: string }) => void },
    handler: (req: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): { shutdown(): Promise<void>; finished: Promise<void> };
};

try {
  const config = loadConfig({ PORT: "8788", ...Deno.env.toObject() });
  const services = await buildOnPremServices(config, {
    runtime: onPremRuntime("deno", (c) => (c.env as { info?: DenoServeInfo } | undefined)?.info?.remoteAddr.hostname),
  });
  await bootstrapOnPrem(services);
  const app = createApp(services);
  const jobs = startNetworkJobs(services);
  const server = Deno.serve(
    {
      port: config.port ?? 8788,
      hostname: config.host,
      onListen: ({ hostname, port }) => services.logger.log("info", "listening", { url: `http://${hostname}:${port}`, role: config.role, runtime: "deno" }),
    },
    (req, info) => app.fetch(req, { info }),
  );
  const stop = async () => {
    await jobs.stop();
    await server.shutdown();
    await services.db.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`airlock: ${e.message}`);
    Deno.exit(2);
  }
  throw e;
}
