/**
 * Generates a network's Ed25519 batch-signing key pair.
 *
 *   npx tsx scripts/keygen.ts [--network ID] [--out DIR]
 *
 * Without --out, prints both keys as shell-style settings: the private JWK is the network's own
 * secret AIRLOCK_SIGNING_KEY; the public JWK goes into the PEER network's AIRLOCK_PEER_PUBLIC_KEYS
 * (a JSON array: to rotate, add the new public key there first, then switch the signing key).
 * With --out, writes <network>.private.jwk.json (mode 0600) and <network>.public.jwk.json, and
 * refuses to overwrite existing files so a key in use is never lost by accident.
 */
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { generateSigningKey } from "../src/transfer/batch/keys.ts";

const usage = "usage: npx tsx scripts/keygen.ts [--network ID] [--out DIR]";

let args;
try {
  args = parseArgs({ options: { network: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: false });
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(usage);
  process.exit(0);
}
const network = args.values.network ?? "airlock";
if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(network)) {
  console.error(`--network must be a network id (lowercase letters, digits, dashes), got ${JSON.stringify(network)}`);
  process.exit(2);
}

const { privateJwk, publicJwk, keyId } = await generateSigningKey();

if (args.values.out) {
  const dir = args.values.out;
  await mkdir(dir, { recursive: true });
  const privatePath = join(dir, `${network}.private.jwk.json`);
  const publicPath = join(dir, `${network}.public.jwk.json`);
  try {
    // "wx": fail if the file exists; mode applies at creation, so the secret is never world-readable.
    await writeFile(privatePath, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await writeFile(publicPath, `${JSON.stringify(publicJwk, null, 2)}\n`, { mode: 0o644, flag: "wx" });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.error(err.code === "EEXIST" ? `refusing to overwrite ${err.path}: move the existing key away first` : err.message);
    process.exit(1);
  }
  console.log(`key id ${keyId}`);
  console.log(`private key (secret, AIRLOCK_SIGNING_KEY of ${network}): ${privatePath}`);
  console.log(`public key (AIRLOCK_PEER_PUBLIC_KEYS of the peer network): ${publicPath}`);
} else {
  console.log(`# Batch signing key for network ${network}, key id ${keyId}`);
  console.log(`# SECRET: set on ${network} only (e.g. wrangler secret put AIRLOCK_SIGNING_KEY):`);
  console.log(`AIRLOCK_SIGNING_KEY='${JSON.stringify(privateJwk)}'`);
  console.log(`# Public: set on the PEER network (a JSON array; keep the old key listed while rotating):`);
  console.log(`AIRLOCK_PEER_PUBLIC_KEYS='${JSON.stringify([publicJwk])}'`);
}
