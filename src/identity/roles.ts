export const ROLES = ["admin", "operator", "courier", "user"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, once authenticated. */
export type Principal =
  | { type: "user"; userId: string; role: Role; sessionId: string; rateLimits: string | null }
  | { type: "api_key"; userId: string; role: Role; apiKeyId: string; scopes: string[]; rateLimits: string | null; keyRateLimits: string | null }
  | { type: "courier"; userId: null; role: "courier" };
