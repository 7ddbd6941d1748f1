import { lookup } from "node:dns/promises";

/** Every address a host name resolves to (Node and Deno), so the webhook guard can check them all. */
export async function resolveHost(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}
