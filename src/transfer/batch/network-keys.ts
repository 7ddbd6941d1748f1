/** The key pairs a network needs for transfer, and the settings that give them to both sides. */
import type { JWK } from "jose";
import { generateSigningKey, type SigningKeyPair } from "./keys.ts";
import { generateEncryptionKey, type EncryptionKeyPair } from "./seal.ts";

export interface NetworkKeys {
  signing: SigningKeyPair;
  encryption: EncryptionKeyPair;
}

export async function generateNetworkKeys(): Promise<NetworkKeys> {
  return { signing: await generateSigningKey(), encryption: await generateEncryptionKey() };
}

type Halves = { privateJwk: JWK; publicJwk: JWK };
type Pairs = { signing: Halves; encryption: Halves };

/** A network's transfer settings: its own two private keys, and the peer's two public keys. */
export function transferSettings(own: Pairs, peer: Pairs): Record<string, string> {
  return {
    AIRLOCK_SIGNING_KEY: JSON.stringify(own.signing.privateJwk),
    AIRLOCK_PEER_PUBLIC_KEYS: JSON.stringify([peer.signing.publicJwk]),
    AIRLOCK_ENCRYPTION_KEYS: JSON.stringify([own.encryption.privateJwk]),
    AIRLOCK_PEER_ENCRYPTION_KEY: JSON.stringify(peer.encryption.publicJwk),
  };
}
