import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess, type App } from "../http/router.ts";
import { NAME, VERSION } from "../version.ts";
import { ApiError, problemResponses } from "../errors.ts";

const assetRoute = createRoute({
  method: "get",
  path: "/docs/assets/{file}",
  operationId: "getDocsAsset",
  ...publicAccess(),
  tags: ["Operations"],
  summary: "Static files of the interactive reference (served locally on premises)",
  request: { params: z.object({ file: z.enum(["swagger-ui-bundle.js", "swagger-ui.css"]) }) },
  // 404 on runtimes that serve them from a CDN instead.
  responses: { 200: { description: "The file" }, ...problemResponses(400, 401, 404) },
});

const page = (assetBase: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Airlock API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${assetBase}/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="${assetBase}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#docs", deepLinking: true, tryItOutEnabled: true });</script>
</body></html>`;

/**
 * `GET /openapi.json` (OpenAPI 3.1 from the zod route definitions) and `GET /docs` (interactive reference).
 * The document is generated once per app (per process, per isolate), on its first request rather
 * than at start, and kept as JSON text: only `servers`, the origin it was asked at, differs per request.
 */
export function registerDocs(app: App) {
  let document: string | undefined;
  app.get("/openapi.json", (c) => {
    document ??= JSON.stringify(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Airlock API",
          version: VERSION,
          description: `${NAME} ${c.get("services").config.role} network. Errors are RFC 9457 problems (application/problem+json) with a stable \`code\`.`,
        },
      }),
    );
    const servers = JSON.stringify([{ url: new URL(c.req.url).origin }]);
    return c.body(`{"servers":${servers},${document.slice(1)}`, 200, { "content-type": "application/json" });
  });
  app.get("/docs", (c) => c.html(page(c.get("services").runtime.docsAssetBase)));
  app.openapi(assetRoute, async (c) => {
    const res = await c.get("services").runtime.docsAsset?.(c.req.valid("param").file);
    if (!res) throw new ApiError("not_found", { detail: "docs assets are served from the CDN on this runtime" });
    return res;
  });
}
