import type { Services } from "./services.ts";
import type { Principal } from "./identity/roles.ts";

export type HonoEnv = {
  Bindings: Record<string, unknown>;
  Variables: {
    services: Services;
    requestId: string;
    /** Set by the auth middleware when the request carries valid credentials. */
    principal?: Principal;
    /** Extra fields for this request's one log line (e.g. the user id once known). */
    logFields: Record<string, unknown>;
  };
};
