/**
 * Ed25519 signing keys for batches, as JWKs. A key's id is its RFC 7638 thumbprint, so both
 * networks derive the same id from the key itself and nothing has to be kept in sync by hand.
 * The peer's public keys are a SET (a JSON array of JWKs, one JWK, or a JWKS `{keys: [...]}`)
 * so a network can rotate: publish the new public key to the peer first, then switch signing.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";
import { describeIssues } from "../../lib/zod-issues.ts";

/** JWS `alg` for every batch. jose maps it to WebCrypto's "Ed25519". */
export const SIGNING_ALG = "EdDSA";

/** 32 bytes, base64url without padding. */
/** A 32-byte key member (x, d) of an OKP JWK. */
export const key32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "expected 32 bytes of base64url");

// Loose: JWKs often carry extra members (key_ops, ext, …) that do no harm.
const okpJwk = z.looseObject({
  kty: z.literal("OKP", 'expected kty "OKP" (an Ed25519 key)'),
  crv: z.literal("Ed25519", 'expected crv "Ed25519"'),
  x: key32,
  kid: z.string().optional(),
  alg: z.literal(SIGNING_ALG, 'expected alg "EdDSA"').optional(),
});
const privateJwkSchema = okpJwk.extend({ d: key32 });
// A "d" member is refused before parsing (see importPublic) with a clearer message.
const publicJwkSchema = okpJwk;

export interface SigningKeyPair {
  /** Secret: the network's own AIRLOCK_SIGNING_KEY. */
  privateJwk: JWK;
  /** For the peer's AIRLOCK_PEER_PUBLIC_KEYS. */
  publicJwk: JWK;
  keyId: string;
}

/** Key id → verification key. Verification picks by the JWS `kid`. */
export type PeerKeySet = ReadonlyMap<string, CryptoKey>;

export async function generateSigningKey(): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { crv: "Ed25519", extractable: true });
  const pub = await exportJWK(publicKey);
  const priv = await exportJWK(privateKey);
  const keyId = await calculateJwkThumbprint(pub, "sha256");
  const meta = { kid: keyId, alg: SIGNING_ALG, use: "sig" };
  return {
    privateJwk: { kty: priv.kty, crv: priv.crv, x: priv.x, d: priv.d, ...meta },
    publicJwk: { kty: pub.kty, crv: pub.crv, x: pub.x, ...meta },
    keyId,
  };
}

/** The thumbprint key id of a JWK (public or private: the thumbprint only uses kty, crv, x). */
export async function keyIdOf(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, "sha256");
}

/** JSON text of a key setting; throws naming the setting, never echoing the text (it may hold a secret). */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
}

/** A `kid` member is allowed only if it is the thumbprint: a mismatch means keys were mixed up. */
export async function checkedKeyId(jwk: { kid?: string } & JWK, what: string): Promise<string> {
  const keyId = await keyIdOf(jwk);
  if (jwk.kid !== undefined && jwk.kid !== keyId) throw new Error(`${what}: kid ${JSON.stringify(jwk.kid)} is not the key's thumbprint ${keyId}`);
  return keyId;
}

/** Imports an Ed25519 private JWK (object or JSON text) as a non-extractable signing key. */
export async function importPrivateKey(input: JWK | string): Promise<CryptoKey> {
  return (await parseSigningKey(input)).key;
}

/** Parses AIRLOCK_SIGNING_KEY: the signing key and its key id. Throws with a clear message. */
export async function parseSigningKey(input: JWK | string): Promise<{ key: CryptoKey; keyId: string }> {
  const raw = typeof input === "string" ? parseJson(input, "signing key") : input;
  const parsed = privateJwkSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`signing key is not an Ed25519 private JWK: ${describeIssues(parsed.error)}`);
  const jwk = parsed.data as JWK;
  const keyId = await checkedKeyId(jwk, "signing key");
  const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }, SIGNING_ALG, { extractable: false })) as CryptoKey;
  return { key, keyId };
}

/** Imports one Ed25519 public JWK (object or JSON text) as a verification key. */
export async function importPublicKey(input: JWK | string): Promise<CryptoKey> {
  return (await importPublic(typeof input === "string" ? parseJson(input, "public key") : input, "public key")).key;
}

async function importPublic(raw: unknown, what: string): Promise<{ key: CryptoKey; keyId: string }> {
  if (raw && typeof raw === "object" && "d" in raw) {
    throw new Error(`${what} is a PRIVATE key; give the peer only the public key (without "d")`);
  }
  const parsed = publicJwkSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${what} is not an Ed25519 public JWK: ${describeIssues(parsed.error)}`);
  const jwk = parsed.data as JWK;
  const keyId = await checkedKeyId(jwk, what);
  const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, SIGNING_ALG)) as CryptoKey;
  return { key, keyId };
}

/**
 * Parses the peer's public keys (AIRLOCK_PEER_PUBLIC_KEYS): a JSON array of public JWKs, one
 * JWK, or a JWKS object `{ "keys": [...] }`; JSON text or already-parsed. Throws with a clear
 * message naming the bad entry; an empty set is refused (nothing could ever verify).
 */
export async function parsePeerKeys(input: string | JWK | readonly JWK[] | { keys: readonly JWK[] }): Promise<PeerKeySet> {
  const raw = typeof input === "string" ? parseJson(input, "peer public keys") : input;
  let list: unknown[];
  if (Array.isArray(raw)) list = raw;
  else if (raw && typeof raw === "object" && Array.isArray((raw as { keys?: unknown }).keys)) list = (raw as { keys: unknown[] }).keys;
  else list = [raw];
  if (list.length === 0) throw new Error("peer public keys: the set is empty");
  const set = new Map<string, CryptoKey>();
  for (let i = 0; i < list.length; i++) {
    const { key, keyId } = await importPublic(list[i], list.length > 1 ? `peer public key #${i + 1}` : "peer public key");
    set.set(keyId, key);
  }
  return set;
}

/** Union of key sets (e.g. several --public-key files). */
export function mergePeerKeys(...sets: PeerKeySet[]): PeerKeySet {
  const out = new Map<string, CryptoKey>();
  for (const s of sets) for (const [id, k] of s) out.set(id, k);
  return out;
}
