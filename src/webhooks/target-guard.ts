// Server-side request forgery guard for webhook targets on Node/Deno: a user's URL must not reach
// the operator's own network. Every address the host resolves to is checked (any private one
// refuses the target). The fetch resolves the name again, so a rebinding DNS server could still
// race this check; workerd needs none of it (Cloudflare refuses private targets itself).
import type { Services } from "../services.ts";
import { isPrivateAddress } from "../lib/ip.ts";

/** Why `url` may not be called from here, or null when it may. */
export async function refusedTarget(s: Services, url: URL): Promise<string | null> {
  if (s.config.webhooks.allowPrivate || !s.runtime.resolveHost) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = /^[\d.]+$/.test(host) || host.includes(":") ? [host] : await s.runtime.resolveHost(host);
  } catch (e) {
    return `could not resolve ${host}: ${(e as Error)?.message ?? e}`;
  }
  const bad = addresses.find(isPrivateAddress);
  return bad ? `refused: ${host} is a private, loopback or link-local address (${bad}); see AIRLOCK_WEBHOOKS_ALLOW_PRIVATE` : addresses.length ? null : `could not resolve ${host}`;
}
