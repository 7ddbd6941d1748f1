/**
 * Development secrets for `npm start`, so it runs with no setup: generated on first run into
 * <dataDir>/dev-secrets.json (mode 0600), then reused so tokens, sessions and signatures survive
 * restarts. Per network: the JWT secret, the courier token (used by the automatic ferry) and an
 * Ed25519 batch-signing key pair; each network is given the OTHER one's public key as its peer key.
 *
 * Never for production: production secrets are set by the operator (scripts/keygen.ts for keys).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { generateSigningKey, keyIdOf, parsePeerKeys, parseSigningKey } from "../src/transfer/batch/keys.ts";

export interface NetworkDevSecrets {
  /** AIRLOCK_JWT_SECRET */
  jwtSecret: string;
  /** AIRLOCK_COURIER_TOKEN */
  courierToken: string;
  /** AIRLOCK_SIGNING_KEY: the private JWK, as JSON text. */
  signingKey: string;
  /** The public JWK, as JSON text: the PEER's AIRLOCK_PEER_PUBLIC_KEYS (as a one-element array). */
  publicKey: string;
}

export interface DevSecrets {
  request: NetworkDevSecrets;
  response: NetworkDevSecrets;
}

const FILE = "dev-secrets.json";
const random = () => randomBytes(32).toString("base64url");

async function generateNetwork(): Promise<NetworkDevSecrets> {
  const { privateJwk, publicJwk } = await generateSigningKey();
  return { jwtSecret: random(), courierToken: random(), signingKey: JSON.stringify(privateJwk), publicKey: JSON.stringify(publicJwk) };
}

async function checkNetwork(raw: unknown, role: string): Promise<NetworkDevSecrets> {
  const r = (raw ?? {}) as Record<string, unknown>;
  for (const k of ["jwtSecret", "courierToken", "signingKey", "publicKey"]) {
    if (typeof r[k] !== "string" || (r[k] as string).length < 32) throw new Error(`${role}.${k} is missing or too short`);
  }
  const s = r as unknown as NetworkDevSecrets;
  const { keyId } = await parseSigningKey(s.signingKey);
  const [publicId] = [...(await parsePeerKeys(s.publicKey)).keys()];
  if (publicId !== keyId || (await keyIdOf(JSON.parse(s.publicKey))) !== keyId) throw new Error(`${role}.publicKey is not the public half of ${role}.signingKey`);
  return { jwtSecret: s.jwtSecret, courierToken: s.courierToken, signingKey: s.signingKey, publicKey: s.publicKey };
}

/** The environment each network gets from its dev secrets (the peer's public key as a JSON array). */
export function devSecretEnv(secrets: DevSecrets, role: "request" | "response"): Record<string, string> {
  const own = secrets[role];
  const peer = secrets[role === "request" ? "response" : "request"];
  return {
    AIRLOCK_JWT_SECRET: own.jwtSecret,
    AIRLOCK_COURIER_TOKEN: own.courierToken,
    AIRLOCK_SIGNING_KEY: own.signingKey,
    AIRLOCK_PEER_PUBLIC_KEYS: `[${peer.publicKey}]`,
  };
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
