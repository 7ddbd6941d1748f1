import { SignJWT, jwtVerify, errors as joseErrors, type JWTHeaderParameters } from "jose";
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { ROLES, type Role } from "./roles.ts";

const enc = new TextEncoder();
export const ACCESS_TOKEN_ALG = "HS256";

interface SigningKey {
  kid: string;
  key: Uint8Array;
}

/** The key id is derived from the secret, so rotating the secret rotates the kid. */
async function keyFrom(secret: string): Promise<SigningKey> {
  return { kid: (await sha256Hex(`airlock-jwt:${secret}`)).slice(0, 16), key: enc.encode(secret) };
}

export interface AccessClaims {
  sub: string;
  role: Role;
  sid: string;
}

/**
 * Short-lived access JWTs (HS256, jose). Signed with the current secret; the
 * previous secrets still verify, picked by `kid`, so secrets rotate without
 * logging everyone out. iss and aud are this network's id: a token from the
 * other network is refused.
 */
export class AccessTokens {
  private constructor(
    private current: SigningKey,
    private all: Map<string, SigningKey>,
    private networkId: string,
    private ttlSeconds: number,
  ) {}

  static async create(config: Config): Promise<AccessTokens> {
    const current = await keyFrom(config.jwt.secret);
    const keys = [current, ...(await Promise.all(config.jwt.previousSecrets.map(keyFrom)))];
    return new AccessTokens(current, new Map(keys.map((k) => [k.kid, k])), config.networkId, config.jwt.accessTtlSeconds);
  }

  get ttl() {
    return this.ttlSeconds;
  }

  async issue(claims: AccessClaims, now: Date): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ role: claims.role, sid: claims.sid })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: this.current.kid, typ: "JWT" })
      .setIssuer(this.networkId)
      .setAudience(this.networkId)
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .setJti(crypto.randomUUID())
      .sign(this.current.key);
  }

  /** Verifies signature, alg, kid, iss, aud, exp, iat, sub and role; throws invalid_token or token_expired. */
  async verify(token: string, now: Date): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          const k = header.kid ? this.all.get(header.kid) : undefined;
          if (!k) throw new ApiError("invalid_token", { detail: "unknown signing key" });
          return k.key;
        },
        {
          algorithms: [ACCESS_TOKEN_ALG],
          issuer: this.networkId,
          audience: this.networkId,
          requiredClaims: ["exp", "iat", "sub", "role", "sid"],
          currentDate: now,
          clockTolerance: 5,
        },
      );
      if (typeof payload.iat === "number" && payload.iat > now.getTime() / 1000 + 60) throw new ApiError("invalid_token", { detail: "token issued in the future" });
      if (!ROLES.includes(payload.role as Role) || typeof payload.sid !== "string" || typeof payload.sub !== "string") {
        throw new ApiError("invalid_token", { detail: "token claims are invalid" });
      }
      return { sub: payload.sub, role: payload.role as Role, sid: payload.sid };
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new ApiError("token_expired", { detail: "the access token has expired; refresh it or log in again" });
      throw new ApiError("invalid_token", { detail: "the access token is not valid" });
    }
  }
}
