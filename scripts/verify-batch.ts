/**
 * Offline verification of batch files (the courier CLI's `verify FILE…`), e.g. on a laptop
 * before carrying files across the gap. No database, no network.
 *
 *   npx tsx scripts/verify-batch.ts --public-key FILE [--public-key FILE…] [--destination ID] FILE...
 *
 * A --public-key file holds one public JWK, a JSON array of them, or a JWKS; without
 * --public-key, AIRLOCK_PEER_PUBLIC_KEYS is used. Prints `OK <batch id> seq=N records=N` or
 * `FAIL <file>: <reason> (<code>)` per file. Exit 0 if all verified, 1 if any failed, 2 on usage errors.
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { parseArgs } from "node:util";
import { verifyFiles } from "../src/transfer/batch/cli-verify.ts";
import { readFileLimited as readLimited } from "../src/transfer/ferry/node-folder.ts";
import { mergePeerKeys, parsePeerKeys, type PeerKeySet } from "../src/transfer/batch/keys.ts";

const usage = "usage: npx tsx scripts/verify-batch.ts --public-key FILE [--public-key FILE…] [--destination ID] FILE...";

let args;
try {
  args = parseArgs({
    options: { "public-key": { type: "string", multiple: true }, destination: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(usage);
  process.exit(0);
}
if (args.positionals.length === 0) {
  console.error(`no batch files given\n${usage}`);
  process.exit(2);
}

let peerKeys: PeerKeySet;
try {
  const keyFiles = args.values["public-key"] ?? [];
  if (keyFiles.length > 0) {
    peerKeys = mergePeerKeys(...(await Promise.all(keyFiles.map(async (f) => parsePeerKeys(await readFile(f, "utf8")).catch((e: Error) => Promise.reject(new Error(`${f}: ${e.message}`)))))));
  } else if (process.env.AIRLOCK_PEER_PUBLIC_KEYS) {
    peerKeys = await parsePeerKeys(process.env.AIRLOCK_PEER_PUBLIC_KEYS);
  } else {
    console.error(`no public key: pass --public-key FILE (the sending network's public JWK)\n${usage}`);
    process.exit(2);
  }
} catch (e) {
  console.error(`cannot load the public key(s): ${(e as Error).message}`);
  process.exit(2);
}


const { ok, results } = await verifyFiles(args.positionals, { readFile: readLimited, peerKeys, destination: args.values.destination ?? null });
for (const r of results) console.log(r.line);
process.exit(ok ? 0 : 1);
