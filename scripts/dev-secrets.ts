/**
 * Development secrets for `npm start`: generated on first run into <dataDir>/dev-secrets.json
 * (mode 0600), then reused so tokens, sessions and signatures survive restarts. Per network: the
 * JWT secret, the courier token (used by the automatic ferry), an Ed25519 batch-signing key pair
 * and an X25519 batch-encryption key pair; each network is given the OTHER one's public keys.
 *
 * Never for production: production secrets are set by the operator (scripts/keygen.ts for keys).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { keyIdOf, parsePeerKeys, parseSigningKey } from "../src/transfer/batch/keys.ts";
import { generateNetworkKeys, transferSettings } from "../src/transfer/batch/network-keys.ts";
import { parseEncryptionKeys, parseRecipientKey } from "../src/transfer/batch/seal.ts";

export interface NetworkDevSecrets {
  /** AIRLOCK_JWT_SECRET */
  jwtSecret: string;
  /** AIRLOCK_COURIER_TOKEN */
  courierToken: string;
  /** AIRLOCK_SIGNING_KEY: the private JWK, as JSON text. */
  signingKey: string;
  /** The public JWK, as JSON text: the PEER's AIRLOCK_PEER_PUBLIC_KEYS (as a one-element array). */
  publicKey: string;
  /** The private X25519 JWK, as JSON text: AIRLOCK_ENCRYPTION_KEYS (as a one-element array). */
  encryptionKey: string;
  /** Its public half, as JSON text: the PEER's AIRLOCK_PEER_ENCRYPTION_KEY. */
  encryptionPublicKey: string;
}

const FIELDS = ["jwtSecret", "courierToken", "signingKey", "publicKey", "encryptionKey", "encryptionPublicKey"] as const;

export interface DevSecrets {
  request: NetworkDevSecrets;
  response: NetworkDevSecrets;
}

const FILE = "dev-secrets.json";
const random = () => randomBytes(32).toString("base64url");

async function generateNetwork(): Promise<NetworkDevSecrets> {
  const { signing, encryption } = await generateNetworkKeys();
  return {
    jwtSecret: random(),
    courierToken: random(),
    signingKey: JSON.stringify(signing.privateJwk),
    publicKey: JSON.stringify(signing.publicJwk),
    encryptionKey: JSON.stringify(encryption.privateJwk),
    encryptionPublicKey: JSON.stringify(encryption.publicJwk),
  };
}

async function checkNetwork(raw: unknown, role: string): Promise<NetworkDevSecrets> {
  const r = (raw ?? {}) as Record<string, unknown>;
  for (const k of FIELDS) {
    if (typeof r[k] !== "string" || (r[k] as string).length < 32) throw new Error(`${role}.${k} is missing or too short`);
  }
  const s = r as unknown as NetworkDevSecrets;
  const { keyId } = await parseSigningKey(s.signingKey);
  const [publicId] = [...(await parsePeerKeys(s.publicKey)).keys()];
  if (publicId !== keyId || (await keyIdOf(JSON.parse(s.publicKey))) !== keyId) throw new Error(`${role}.publicKey is not the public half of ${role}.signingKey`);
  if ((await parseEncryptionKeys(s.encryptionKey)).current.keyId !== (await parseRecipientKey(s.encryptionPublicKey)).keyId)
    throw new Error(`${role}.encryptionPublicKey is not the public half of ${role}.encryptionKey`);
  return Object.fromEntries(FIELDS.map((k) => [k, s[k]])) as unknown as NetworkDevSecrets;
}

const keysOf = (n: NetworkDevSecrets) => ({
  signing: { privateJwk: JSON.parse(n.signingKey), publicJwk: JSON.parse(n.publicKey) },
  encryption: { privateJwk: JSON.parse(n.encryptionKey), publicJwk: JSON.parse(n.encryptionPublicKey) },
});

/** The environment each network gets from its dev secrets: its own secrets and the peer's public keys. */
export function devSecretEnv(secrets: DevSecrets, role: "request" | "response"): Record<string, string> {
  const own = secrets[role];
  const peer = secrets[role === "request" ? "response" : "request"];
  return { AIRLOCK_JWT_SECRET: own.jwtSecret, AIRLOCK_COURIER_TOKEN: own.courierToken, ...transferSettings(keysOf(own), keysOf(peer)) };
}

/** Reads <dataDir>/dev-secrets.json, creating it (mode 0600, atomically) on first run. A damaged file is an error, never silently replaced. */
export async function loadOrCreateDevSecrets(dataDir: string): Promise<DevSecrets & { created: boolean; file: string }> {
  const file = join(dataDir, FILE);
  let text: string | null = null;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (text !== null) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const secrets = { request: await checkNetwork(json.request, "request"), response: await checkNetwork(json.response, "response") };
      // Secrets stay private even if the file was copied around with a loose mode.
      if (process.platform !== "win32" && ((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
      return { ...secrets, created: false, file };
    } catch (e) {
      throw new Error(`${file} is damaged (${(e as Error).message}); delete it to generate new development secrets (this signs everyone out and restarts the batch key pair)`);
    }
  }

  const secrets: DevSecrets = { request: await generateNetwork(), response: await generateNetwork() };
  await mkdir(dataDir, { recursive: true });
  const tmp = join(dataDir, `.${FILE}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ note: "development secrets for npm start; never use them in production", ...secrets }, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  return { ...secrets, created: true, file };
}
