import { cors } from "hono/cors";
import { SCOPES, SCOPE_NAMES } from "./identity/scopes.ts";
import type { Services } from "./services.ts";
import { createRouter } from "./http/router.ts";
import { requestId } from "./middleware/request-id.ts";
import { accessLog } from "./middleware/access-log.ts";
import { jsonBodies } from "./middleware/body.ts";
import { notFound, onError } from "./middleware/problems.ts";
import { registerHealth } from "./routes/health.ts";
import { registerReady } from "./routes/ready.ts";
import { registerMeta } from "./routes/meta.ts";
import { registerDocs } from "./routes/docs.ts";
import { registerMetrics } from "./routes/metrics.ts";
import { authenticate } from "./middleware/auth.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { registerAdminRateLimits } from "./routes/admin/rate-limits.ts";
import { registerAuthToken } from "./routes/auth/token.ts";
import { registerAuthRefresh } from "./routes/auth/refresh.ts";
import { registerAuthLogout } from "./routes/auth/logout.ts";
import { registerMe } from "./routes/auth/me.ts";
import { registerUserAdminRoutes } from "./routes/admin/users/index.ts";
import { registerAdminApiKeysRevoke } from "./routes/admin/api-keys-revoke.ts";
import { registerAuditList } from "./routes/admin/audit-list.ts";
import { registerAuditVerify } from "./routes/admin/audit-verify.ts";
import { registerApiKeysCreate } from "./routes/api-keys/create.ts";
import { registerApiKeysList } from "./routes/api-keys/list.ts";
import { registerApiKeysDelete } from "./routes/api-keys/delete.ts";
import { registerRequestRoutes } from "./routes/requests/index.ts";
import { registerQueueRoutes } from "./routes/queue/index.ts";
import { registerSearch } from "./routes/search/search.ts";
import { registerWebhookRoutes } from "./routes/webhooks/index.ts";
import { registerCacheAdminRoutes } from "./routes/admin/cache/index.ts";
import { registerAdminStats } from "./routes/admin/stats.ts";
import { registerTransferStatus } from "./routes/transfer/status.ts";
import { registerTransferExport } from "./routes/transfer/export.ts";
import { registerOutboxList } from "./routes/transfer/outbox-list.ts";
import { registerOutboxGet } from "./routes/transfer/outbox-get.ts";
import { registerInbox } from "./routes/transfer/inbox.ts";
import { registerImport } from "./routes/transfer/import.ts";
import { registerBatchesList } from "./routes/transfer/batches-list.ts";
import { registerBatchesRetry } from "./routes/transfer/batches-retry.ts";
import { registerSupersede } from "./routes/transfer/supersede.ts";
import { registerDeadLettersList } from "./routes/transfer/dead-letters-list.ts";
import { registerDeadLettersRetry } from "./routes/transfer/dead-letters-retry.ts";
import { registerConsole } from "./console/index.tsx";

/** The credentials, and the scopes an API key can hold (each operation's `x-airlock-scope` names the one it needs). */
function bearerDescription(): string {
  const scopes = SCOPE_NAMES.map((n) => `\`${n}\` (${SCOPES[n].roles.join(", ")}): ${SCOPES[n].description}`).join("; ");
  return `Access token, API key (ak_…, also as X-API-Key) or courier token. An API key may do only what its scopes name, within its owner's role; a key without scopes may only call GET /v1/me, and no key manages sessions or keys. Scopes: ${scopes}.`;
}

/** The one app factory: every runtime and every test builds the app here. */
export function createApp(services: Services) {
  const app = createRouter(services.config.role);
  app.use(requestId());
  app.use(async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use(accessLog());
  if (services.config.corsOrigins.length) {
    const list = services.config.corsOrigins;
    app.use(
      cors({
        origin: list.includes("*") ? "*" : list,
        allowHeaders: ["Authorization", "Content-Type", "X-API-Key", "Idempotency-Key", "If-None-Match", "X-Request-Id"],
        exposeHeaders: ["X-Request-Id", "ETag", "Retry-After", "RateLimit", "RateLimit-Policy", "RateLimit-Warning", "Idempotency-Replayed", "Location", "X-Cache"],
        maxAge: 600,
      }),
    );
  }
  app.use(jsonBodies());
  app.use(authenticate());
  app.use(rateLimit()); // every authenticated request, per identity (src/middleware/rate-limit.ts)
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: bearerDescription() });

  registerHealth(app);
  registerReady(app);
  registerMeta(app);
  registerDocs(app);
  registerMetrics(app);

  // Identity. Routes exist on both networks; writes to data the network does not own
  // answer `owned_by_other_network` (the services decide, so no route can forget).
  registerAuthToken(app);
  registerAuthRefresh(app);
  registerAuthLogout(app);
  registerMe(app);
  registerUserAdminRoutes(app);
  registerApiKeysCreate(app);
  registerApiKeysList(app);
  registerApiKeysDelete(app);
  registerAdminApiKeysRevoke(app);
  registerAuditList(app);
  registerAuditVerify(app);

  // Requests and responses, the operators' queue, search, cache administration, statistics.
  registerRequestRoutes(app);
  registerQueueRoutes(app);
  registerSearch(app);
  registerWebhookRoutes(app);
  registerCacheAdminRoutes(app);
  registerAdminStats(app);

  // Transfer: the only link between the networks.
  registerTransferStatus(app);
  registerTransferExport(app);
  registerOutboxList(app);
  registerOutboxGet(app);
  registerInbox(app);
  registerImport(app);
  registerBatchesList(app);
  registerBatchesRetry(app);
  registerSupersede(app);
  registerDeadLettersList(app);
  registerDeadLettersRetry(app);
  registerAdminRateLimits(app);

  // The operators' web pages: HTML, so errors and unknown paths under /console are pages too.
  const ui = registerConsole(app);
  const apiNotFound = notFound(app);
  app.notFound((c) => (ui.owns(c) ? ui.notFound(c) : apiNotFound(c)));
  app.onError((err, c) => (ui.owns(c) ? ui.onError(err, c) : onError(err, c)));
  return app;
}

export type AirlockApp = ReturnType<typeof createApp>;
