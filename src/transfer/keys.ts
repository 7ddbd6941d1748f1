import type { Services } from "../services.ts";
import { ApiError } from "../errors.ts";
import { parsePeerKeys, parseSigningKey, type PeerKeySet } from "./batch/index.ts";

interface TransferKeys {
  signing?: { key: CryptoKey; keyId: string };
  peers?: PeerKeySet;
}

const parsed = new WeakMap<object, Promise<TransferKeys>>();

/** The network's signing key and the peer's public keys, parsed once per configuration. */
export function transferKeys(s: Services): Promise<TransferKeys> {
  let p = parsed.get(s.config);
  if (!p) {
    p = (async () => ({
      signing: s.config.transfer.signingKey ? await parseSigningKey(s.config.transfer.signingKey) : undefined,
      peers: s.config.transfer.peerPublicKeys ? await parsePeerKeys(s.config.transfer.peerPublicKeys) : undefined,
    }))();
    parsed.set(s.config, p);
  }
  return p;
}

export async function signingKeyOf(s: Services) {
  const k = (await transferKeys(s)).signing;
  if (!k) throw new ApiError("transfer_not_configured", { detail: "AIRLOCK_SIGNING_KEY is not set: this network cannot sign batches (see scripts/keygen.ts)" });
  return k;
}

export async function peerKeysOf(s: Services) {
  const k = (await transferKeys(s)).peers;
  if (!k) throw new ApiError("transfer_not_configured", { detail: "AIRLOCK_PEER_PUBLIC_KEYS is not set: this network cannot verify the peer's batches" });
  return k;
}
