// Node entry: `NETWORK_ROLE=response tsx src/runtime/node.ts`.
import { ConfigError } from "../config.ts";
import { startNodeServer } from "./node-server.ts";

try {
  const running = await startNodeServer({ PORT: "8787", ...process.env });
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`airlock: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
