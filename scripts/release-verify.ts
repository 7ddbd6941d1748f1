/**
 * Standalone release verifier (Node built-ins only; `npm run release` also writes it bundled as
 * dist/verify-release.mjs, one file a site can keep and run on every release it is handed):
 *
 *   node verify-release.mjs airlock-<version>-linux-x64.tar.gz --public-key release.public.jwk.json
 */
import process from "node:process";
import { verifyReleaseMain } from "../src/runtime/cli/verify-release.ts";

process.exitCode = await verifyReleaseMain(process.argv.slice(2));
