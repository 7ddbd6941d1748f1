import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { parseEncryptionKeys, parsePeerKeys, parseRecipientKey, parseSigningKey, type OwnEncryptionKeys, type PeerKeySet, type RecipientKey, type SealTo } from "./batch/index.ts";

interface TransferKeys {
  signing?: { key: CryptoKey; keyId: string };
  peers?: PeerKeySet;
  own?: OwnEncryptionKeys;
  recipient?: RecipientKey;
}

const parsed = new WeakMap<object, Promise<TransferKeys>>();

/** The network's signing and encryption keys and the peer's public keys, parsed once per configuration. */
export function transferKeys(s: Services): Promise<TransferKeys> {
  let p = parsed.get(s.config);
  if (!p) {
    const t = s.config.transfer;
    p = (async () => ({
      signing: t.signingKey ? await parseSigningKey(t.signingKey) : undefined,
      peers: t.peerPublicKeys ? await parsePeerKeys(t.peerPublicKeys) : undefined,
      own: t.encryptionKeys ? await parseEncryptionKeys(t.encryptionKeys) : undefined,
      recipient: t.peerEncryptionKey ? await parseRecipientKey(t.peerEncryptionKey) : undefined,
    }))();
    parsed.set(s.config, p);
  }
  return p;
}

const missing = (name: string, why: string) => new ApiError("transfer_not_configured", { detail: `${name} is not set: ${why} (see scripts/keygen.ts)` });

export async function signingKeyOf(s: Services) {
  const k = (await transferKeys(s)).signing;
  if (!k) throw missing("AIRLOCK_SIGNING_KEY", "this network cannot sign batches");
  return k;
}

export async function peerKeysOf(s: Services) {
  const k = (await transferKeys(s)).peers;
  if (!k) throw missing("AIRLOCK_PEER_PUBLIC_KEYS", "this network cannot verify the peer's batches");
  return k;
}

/** Who an outgoing batch is sealed to: the peer, and this network itself (to supersede its own batch). */
export async function sealToOf(s: Services): Promise<SealTo> {
  const k = await transferKeys(s);
  if (!k.recipient) throw missing("AIRLOCK_PEER_ENCRYPTION_KEY", "this network cannot seal batches to the peer");
  if (!k.own) throw missing("AIRLOCK_ENCRYPTION_KEYS", "this network has no encryption key of its own");
  return { recipient: k.recipient, sender: k.own.current };
}

/** The private keys that open sealed batches (the peer's, and our own outgoing ones); none when not configured. */
export async function openingKeysOf(s: Services): Promise<ReadonlyMap<string, CryptoKey> | undefined> {
  return (await transferKeys(s)).own?.opening;
}
