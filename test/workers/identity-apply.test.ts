import { env } from "cloudflare:test";
import { identityApplySuite } from "../shared/identity-apply.suite.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";

// The same statements on D1 (the replica's database in production): 100 bound parameters and
// 100 KB of SQL per statement, so every chunk travels as one bound JSON text.
identityApplySuite({ runtime: "workerd", replica: async () => (await servicesFor(env as unknown as WorkerEnv)).services });
