// The courier CLI from the repository: `npm run ferry -- <command>` (and `npx airlock-ferry`,
// bin/airlock-ferry.mjs). The CLI itself is src/runtime/cli/ferry.ts; `airlock-ferry --help` for usage.
import process from "node:process";
import { run } from "../src/runtime/cli/ferry.ts";
import { processIo } from "../src/runtime/cli/io.ts";

process.exitCode = await run(process.argv.slice(2), processIo());
