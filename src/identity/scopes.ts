import type { Role } from "./roles.ts";

/**
 * The one catalog of API key scopes. Every route names the scope an API key
 * needs (src/middleware/auth.ts `access`); a key may do only what its scopes
 * name, and only within its owner's role. A key without scopes may only
 * identify itself (GET /v1/me). Sessions and keys are managed by people who
 * logged in, never by a key.
 */
export const SCOPES = {
  "requests:read": { roles: ["admin", "operator", "user"], description: "Read your requests and their answers; answerers also read the queue" },
  "requests:write": { roles: ["admin", "operator", "user"], description: "Submit and cancel requests; answerers also claim, answer and reject" },
  // Keys may manage webhooks: an endpoint is no credential, and a receiver is usually set up by automation.
  "webhooks:read": { roles: ["admin", "operator", "user"], description: "Read your webhook endpoints and their delivery logs" },
  "webhooks:write": { roles: ["admin", "operator", "user"], description: "Register and remove webhook endpoints, redeliver messages" },
  "users:read": { roles: ["admin"], description: "List and read user accounts" },
  // Whoever may create an admin with a known password is an admin: grant with care.
  "users:write": { roles: ["admin"], description: "Create, change and disable user accounts (as powerful as an admin's password)" },
  "audit:read": { roles: ["admin"], description: "Read and verify the audit log" },
  "cache:read": { roles: ["admin"], description: "Read the response cache's statistics and health" },
  "cache:write": { roles: ["admin"], description: "Clear and invalidate the response cache" },
  "rate-limits:read": { roles: ["admin"], description: "Read a user's rate-limit state" },
  "rate-limits:write": { roles: ["admin"], description: "Reset a user's rate limits and lockouts" },
  "stats:read": { roles: ["admin"], description: "Read the network's statistics" },
  "metrics:read": { roles: ["admin", "operator"], description: "Scrape GET /metrics (Prometheus)" },
  "transfer:read": { roles: ["admin", "courier"], description: "Read transfer status, the outbox and received batches" },
  "transfer:write": { roles: ["admin", "courier"], description: "Export, download, upload, import and retry batches" },
} as const satisfies Record<string, { roles: readonly Role[]; description: string }>;

export type Scope = keyof typeof SCOPES;
export const SCOPE_NAMES = Object.keys(SCOPES) as [Scope, ...Scope[]];

/** Any API key may call the route, with or without scopes (it only tells the caller who it is). */
export const ANY_KEY = "any-key";
/** No API key may call the route: it manages sessions or keys, which needs a logged-in session. */
export const SESSION_ONLY = "session-only";

/** What a route asks of an API key. */
export type ScopeRule = Scope | typeof ANY_KEY | typeof SESSION_ONLY;

export const isScope = (s: string): s is Scope => Object.hasOwn(SCOPES, s);

/** The scopes of `wanted` that `role` can never use (key creation refuses them). */
export function scopesBeyondRole(wanted: readonly string[], role: Role): string[] {
  return wanted.filter((s) => !isScope(s) || !(SCOPES[s].roles as readonly Role[]).includes(role));
}

/** The Access line of an operation's description, for API keys. */
export function describeScopeRule(rule: ScopeRule): string {
  if (rule === ANY_KEY) return "any API key, with or without scopes";
  if (rule === SESSION_ONLY) return "never an API key (log in)";
  return `API keys need the scope \`${rule}\``;
}
