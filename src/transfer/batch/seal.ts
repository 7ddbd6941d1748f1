/**
 * Sealing a batch body to its destination (format 3): a JWE (RFC 7516, general JSON serialisation)
 * with alg ECDH-ES+A256KW over X25519 and enc A256GCM, all on WebCrypto through jose.
 *
 * The ciphertext is the file's body as raw bytes (no base64url inflation) and the rest of the JWE
 * rides in the signed manifest as `sealed`, the way a detached JWS leaves out its payload: put back
 * together it is a standard JWE that any JOSE library opens. The additional authenticated data is
 * the batch's identity (source, destination, sequence, batch id), so a ciphertext cannot be moved
 * into another batch. Recipients: the destination, and the sender itself, so that the sender can
 * still read its own unacknowledged batch to supersede it.
 */
import { base64url, flattenedDecrypt, GeneralEncrypt, importJWK, type JWK } from "jose";
import { z } from "zod";
import { describeIssues } from "../../lib/zod-issues.ts";
import { checkedKeyId, key32, keyIdOf, parseJson } from "./keys.ts";

export const KEY_ALG = "ECDH-ES+A256KW";
export const CONTENT_ALG = "A256GCM";

const b64u = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, "expected base64url");

// Loose, as for signing keys: extra JWK members (key_ops, ext, …) do no harm.
const x25519Jwk = z.looseObject({
  kty: z.literal("OKP", 'expected kty "OKP" (an X25519 key)'),
  crv: z.literal("X25519", 'expected crv "X25519"'),
  x: key32,
  kid: z.string().optional(),
  alg: z.literal(KEY_ALG, `expected alg "${KEY_ALG}"`).optional(),
});
const x25519PrivateJwk = x25519Jwk.extend({ d: key32 });

/** The JWE without its ciphertext, as the manifest carries it. Every size is bounded. */
export const sealedSchema = z.strictObject({
  protected: b64u(256),
  iv: b64u(16).length(16, "expected a 96-bit iv"),
  tag: b64u(22).length(22, "expected a 128-bit tag"),
  recipients: z
    .array(
      z.strictObject({
        header: z.strictObject({
          alg: z.literal(KEY_ALG),
          kid: z.string().min(1).max(128),
          epk: z.strictObject({ kty: z.literal("OKP"), crv: z.literal("X25519"), x: key32 }),
        }),
        encrypted_key: b64u(64).length(54, "expected a wrapped 256-bit key"),
      }),
    )
    .min(1)
    .max(4),
});
export type Sealed = z.infer<typeof sealedSchema>;

export interface EncryptionKeyPair {
  /** Secret: one entry of the network's own AIRLOCK_ENCRYPTION_KEYS. */
  privateJwk: JWK;
  /** For the peer's AIRLOCK_PEER_ENCRYPTION_KEY. */
  publicJwk: JWK;
  keyId: string;
}

/** A public key batches are sealed to. */
export interface RecipientKey {
  keyId: string;
  key: CryptoKey;
}

/** A network's own encryption keys: the current one (its public half seals the sender's copy) and every private key it still opens batches with. */
export interface OwnEncryptionKeys {
  current: RecipientKey;
  opening: ReadonlyMap<string, CryptoKey>;
}

export type OpenFailure = { ok: false; code: "unknown_encryption_key" | "decryption_failed"; reason: string };

export async function generateEncryptionKey(): Promise<EncryptionKeyPair> {
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
  const { privateKey, publicKey } = pair as CryptoKeyPair;
  const pub = (await crypto.subtle.exportKey("jwk", publicKey)) as JWK;
  const priv = (await crypto.subtle.exportKey("jwk", privateKey)) as JWK;
  const keyId = await keyIdOf(pub);
  const meta = { kid: keyId, alg: KEY_ALG, use: "enc" };
  return { privateJwk: { kty: "OKP", crv: "X25519", x: priv.x, d: priv.d, ...meta }, publicJwk: { kty: "OKP", crv: "X25519", x: pub.x, ...meta }, keyId };
}

const publicOf = (jwk: JWK) => importJWK({ kty: "OKP", crv: "X25519", x: jwk.x }, KEY_ALG) as Promise<CryptoKey>;

/** Parses AIRLOCK_PEER_ENCRYPTION_KEY: the one X25519 public JWK this network seals its batches to. Throws with a clear message. */
export async function parseRecipientKey(input: string | JWK): Promise<RecipientKey> {
  const what = "peer encryption key";
  const raw = typeof input === "string" ? parseJson(input, what) : input;
  if (raw && typeof raw === "object" && "d" in raw) throw new Error(`${what} is a PRIVATE key; give the peer only the public key (without "d")`);
  const parsed = x25519Jwk.safeParse(raw);
  if (!parsed.success) throw new Error(`${what} is not an X25519 public JWK: ${describeIssues(parsed.error)}`);
  const jwk = parsed.data as JWK;
  return { keyId: await checkedKeyId(jwk, what), key: await publicOf(jwk) };
}

/**
 * Parses AIRLOCK_ENCRYPTION_KEYS: this network's X25519 private JWKs, newest first (a JSON array,
 * or one JWK). Every one of them opens batches; the first is the current one. Throws with a clear message.
 */
export async function parseEncryptionKeys(input: string | JWK | readonly JWK[]): Promise<OwnEncryptionKeys> {
  const raw = typeof input === "string" ? parseJson(input, "encryption keys") : input;
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new Error("encryption keys: the list is empty");
  const opening = new Map<string, CryptoKey>();
  let current: RecipientKey | undefined;
  for (let i = 0; i < list.length; i++) {
    const what = list.length > 1 ? `encryption key #${i + 1}` : "encryption key";
    const parsed = x25519PrivateJwk.safeParse(list[i]);
    if (!parsed.success) throw new Error(`${what} is not an X25519 private JWK: ${describeIssues(parsed.error)}`);
    const jwk = parsed.data as JWK;
    const keyId = await checkedKeyId(jwk, what);
    opening.set(keyId, (await importJWK({ kty: "OKP", crv: "X25519", x: jwk.x, d: jwk.d }, KEY_ALG, { extractable: false })) as CryptoKey);
    current ??= { keyId, key: await publicOf(jwk) };
  }
  return { current: current!, opening };
}

/** What the ciphertext is bound to. */
export function sealAad(m: { source: string; destination: string; sequence: number; batch_id: string }): Uint8Array {
  return new TextEncoder().encode(`airlock-batch:${m.source}>${m.destination}:${m.sequence}:${m.batch_id}`);
}

/** Encrypts a body to each recipient (one key per distinct id). */
export async function sealBody(plaintext: Uint8Array, aad: Uint8Array, to: readonly RecipientKey[]): Promise<{ sealed: Sealed; ciphertext: Uint8Array }> {
  const jwe = new GeneralEncrypt(plaintext).setProtectedHeader({ enc: CONTENT_ALG }).setAdditionalAuthenticatedData(aad);
  const seen = new Set<string>();
  for (const r of to) {
    if (seen.has(r.keyId)) continue;
    seen.add(r.keyId);
    jwe.addRecipient(r.key).setUnprotectedHeader({ alg: KEY_ALG, kid: r.keyId });
  }
  const out = await jwe.encrypt();
  const recipients = (out.recipients ?? []).map((r) => ({ header: r.header as Sealed["recipients"][number]["header"], encrypted_key: r.encrypted_key! }));
  return { sealed: { protected: out.protected!, iv: out.iv!, tag: out.tag!, recipients }, ciphertext: base64url.decode(out.ciphertext) };
}

/** Decrypts a sealed body with whichever of `keys` it was sealed to. Never throws. */
export async function openBody(
  sealed: Sealed,
  ciphertext: Uint8Array,
  aad: Uint8Array,
  keys: ReadonlyMap<string, CryptoKey> | undefined,
): Promise<{ ok: true; plaintext: Uint8Array } | OpenFailure> {
  const kids = sealed.recipients.map((r) => r.header.kid);
  const recipient = keys && sealed.recipients.find((r) => keys.has(r.header.kid));
  if (!keys || !recipient) {
    const have = keys ? `${keys.size} key(s) of this network` : "no encryption key configured here (AIRLOCK_ENCRYPTION_KEYS)";
    return { ok: false, code: "unknown_encryption_key", reason: `sealed to ${kids.map((k) => k.slice(0, 80)).join(", ")}, none of which is among ${have}` };
  }
  try {
    const { plaintext } = await flattenedDecrypt(
      {
        protected: sealed.protected,
        iv: sealed.iv,
        tag: sealed.tag,
        aad: base64url.encode(aad),
        ciphertext: base64url.encode(ciphertext),
        header: recipient.header,
        encrypted_key: recipient.encrypted_key,
      },
      keys.get(recipient.header.kid)!,
      { keyManagementAlgorithms: [KEY_ALG], contentEncryptionAlgorithms: [CONTENT_ALG] },
    );
    return { ok: true, plaintext };
  } catch {
    return {
      ok: false,
      code: "decryption_failed",
      reason: `the body does not decrypt with key ${recipient.header.kid.slice(0, 80)} (altered ciphertext, or a key with this id that is not the one it was sealed to)`,
    };
  }
}
