import { generateEncryptionKey, generateSigningKey, type EncryptionKeyPair, type SigningKeyPair } from "../../src/transfer/batch/index.ts";
import { transferSettings } from "../../src/transfer/batch/network-keys.ts";

/** A network's signing key pair (the fields of the pair itself) and its encryption key pair. */
type Pair = SigningKeyPair & { encryption: EncryptionKeyPair };
let keys: Promise<{ request: Pair; response: Pair }> | undefined;

const pair = async (): Promise<Pair> => ({ ...(await generateSigningKey()), encryption: await generateEncryptionKey() });

/** One signing and one encryption key pair per network for this test process. */
export function testKeys() {
  keys ??= (async () => ({ request: await pair(), response: await pair() }))();
  return keys;
}

const networkKeys = (p: Pair) => ({ signing: p, encryption: p.encryption });

/** The transfer settings of one network: its own private keys and the peer's public keys. */
export async function transferEnv(role: "request" | "response"): Promise<Record<string, string>> {
  const k = await testKeys();
  const peer = role === "request" ? "response" : "request";
  return transferSettings(networkKeys(k[role]), networkKeys(k[peer]));
}
