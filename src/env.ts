import type { Services } from "./services.ts";

export type HonoEnv = {
  Bindings: Record<string, unknown>;
  Variables: {
    services: Services;
    requestId: string;
    /** Extra fields for this request's one log line (e.g. the user id once known). */
    logFields: Record<string, unknown>;
  };
};
