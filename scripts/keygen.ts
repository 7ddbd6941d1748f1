/**
 * Generates a network's two transfer key pairs: Ed25519 to sign its batches, X25519 to open the
 * batches sealed to it.
 *
 *   npx tsx scripts/keygen.ts [--network ID] [--out DIR] [--only signing|encryption]
 *
 * Without --out, prints the settings: the private keys are the network's own secrets
 * (AIRLOCK_SIGNING_KEY, AIRLOCK_ENCRYPTION_KEYS); the public keys go to the PEER network
 * (AIRLOCK_PEER_PUBLIC_KEYS, AIRLOCK_PEER_ENCRYPTION_KEY). With --out, writes
 * <network>.private.jwk.json and <network>.encryption.private.jwk.json (mode 0600) and their
 * .public.jwk.json halves, refusing to overwrite an existing file so a key in use is never lost
 * by accident. --only makes one pair, to rotate it (docs/operations.md "Rotating transfer keys").
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { generateSigningKey } from "../src/transfer/batch/keys.ts";
import { generateEncryptionKey } from "../src/transfer/batch/seal.ts";

const usage = "usage: npx tsx scripts/keygen.ts [--network ID] [--out DIR] [--only signing|encryption]";

let args;
try {
  args = parseArgs({ options: { network: { type: "string" }, out: { type: "string" }, only: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: false });
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
const only = args.values.only;
if (only !== undefined && only !== "signing" && only !== "encryption") {
  console.error(`--only must be "signing" or "encryption", got ${JSON.stringify(only)}\n${usage}`);
  process.exit(2);
}

interface Made {
  what: string;
  /** File name stem under --out. */
  stem: string;
  privateJwk: object;
  publicJwk: object;
  keyId: string;
  /** The settings: the network's own, and the peer's. */
  own: string;
  peer: string;
  ownValue: string;
  peerValue: string;
}

const made: Made[] = [];
if (only !== "encryption") {
  const k = await generateSigningKey();
  made.push({
    what: "batch signing key (Ed25519)",
    stem: network,
    ...k,
    own: "AIRLOCK_SIGNING_KEY",
    peer: "AIRLOCK_PEER_PUBLIC_KEYS",
    ownValue: JSON.stringify(k.privateJwk),
    peerValue: JSON.stringify([k.publicJwk]),
  });
}
if (only !== "signing") {
  const k = await generateEncryptionKey();
  made.push({
    what: "batch encryption key (X25519)",
    stem: `${network}.encryption`,
    ...k,
    own: "AIRLOCK_ENCRYPTION_KEYS",
    peer: "AIRLOCK_PEER_ENCRYPTION_KEY",
    ownValue: JSON.stringify([k.privateJwk]),
    peerValue: JSON.stringify(k.publicJwk),
  });
}

if (args.values.out) {
  const dir = args.values.out;
  await mkdir(dir, { recursive: true });
  const files = made.flatMap((m) => [
    { path: join(dir, `${m.stem}.private.jwk.json`), jwk: m.privateJwk, mode: 0o600 },
    { path: join(dir, `${m.stem}.public.jwk.json`), jwk: m.publicJwk, mode: 0o644 },
  ]);
  try {
    // "wx": fail if the file exists; mode applies at creation, so a secret is never world-readable.
    for (const f of files) await writeFile(f.path, `${JSON.stringify(f.jwk, null, 2)}\n`, { mode: f.mode, flag: "wx" });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.error(err.code === "EEXIST" ? `refusing to overwrite ${err.path}: move the existing key away first` : err.message);
    process.exit(1);
  }
  for (const m of made) {
    console.log(`${m.what}, key id ${m.keyId}`);
    console.log(`  private (secret, ${m.own} of ${network}): ${join(dir, `${m.stem}.private.jwk.json`)}`);
    console.log(`  public (${m.peer} of the peer network): ${join(dir, `${m.stem}.public.jwk.json`)}`);
  }
} else {
  for (const m of made) {
    console.log(`# ${m.what} for network ${network}, key id ${m.keyId}`);
    console.log(`# SECRET: set on ${network} only (e.g. wrangler secret put ${m.own}); a JSON value:`);
    console.log(`${m.own}='${m.ownValue}'`);
    console.log(`# Public: set on the PEER network:`);
    console.log(`${m.peer}='${m.peerValue}'`);
  }
}
