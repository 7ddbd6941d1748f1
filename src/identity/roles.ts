export const ROLES = ["admin", "operator", "courier", "user"] as const;
export type Role = (typeof ROLES)[number];

/** Every role: for operations any signed-in caller may use. */
export const ANY_ROLE = ["admin", "operator", "courier", "user"] as const;

/** Who is calling, once authenticated. */
export type Principal =
  | { type: "user"; userId: string; role: Role; sessionId: string; rateLimits: string | null }
  | { type: "api_key"; userId: string; role: Role; apiKeyId: string; scopes: string[]; rateLimits: string | null; keyRateLimits: string | null }
  | { type: "courier"; userId: null; role: "courier" }
  /** The metrics token (AIRLOCK_METRICS_TOKEN): a scraper, which holds no role. */
  | { type: "metrics"; userId: null; role: null };
