import type { HonoEnv } from "../env.ts";
import type { Role } from "../identity/roles.ts";

/** The signed-in user of a console request. */
export interface ConsoleUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** The session (refresh-token family): sign-out revokes it. */
  sessionId: string;
  /** This session's CSRF token, carried by every form (src/console/csrf.ts). */
  csrf: string;
}

/** A posted form, CSRF already checked: text fields, and files where a page takes uploads. */
export type FormFields = Record<string, string | File>;

export type ConsoleEnv = {
  Bindings: HonoEnv["Bindings"];
  Variables: HonoEnv["Variables"] & {
    consoleUser?: ConsoleUser;
    /** Why the session in the cookie no longer counts (shown on the sign-in page). */
    sessionEnded?: string;
    form?: FormFields;
  };
};
