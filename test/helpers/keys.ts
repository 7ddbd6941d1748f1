import { generateSigningKey } from "../../src/transfer/batch/index.ts";

type Pair = Awaited<ReturnType<typeof generateSigningKey>>;
let keys: Promise<{ request: Pair; response: Pair }> | undefined;

/** One Ed25519 key pair per network for this test process. */
export function testKeys() {
  keys ??= (async () => ({ request: await generateSigningKey(), response: await generateSigningKey() }))();
  return keys;
}

/** The transfer settings of one network: its own private key and the peer's public key. */
export async function transferEnv(role: "request" | "response"): Promise<Record<string, string>> {
  const k = await testKeys();
  const peer = role === "request" ? "response" : "request";
  return { AIRLOCK_SIGNING_KEY: JSON.stringify(k[role].privateJwk), AIRLOCK_PEER_PUBLIC_KEYS: JSON.stringify([k[peer].publicJwk]) };
}
