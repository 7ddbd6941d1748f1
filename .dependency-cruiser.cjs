// The architecture rules for src/ (docs/architecture.md explains the layers): `npm run check:deps`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles, type-only imports included: a cycle means two modules are really one, or one of them holds the wrong code.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "routes-not-to-routes",
      severity: "error",
      comment:
        "A route file imports no other route file. What routes in a folder share lives in that folder's schemas.ts; " + "helpers with logic belong in a service or src/lib/.",
      from: { path: "^(src/routes/|src/routes/.+/)[^/]+\\.ts$", pathNot: "/index\\.ts$" },
      to: { path: "^src/routes/", pathNot: "^$1schemas\\.ts$" },
    },
    {
      name: "route-index-own-folder",
      severity: "error",
      comment: "A folder's index.ts registers the routes of its own folder, nothing further away.",
      from: { path: "^(src/routes/|src/routes/.+/)index\\.ts$" },
      to: { path: "^src/routes/", pathNot: "^$1[^/]+\\.ts$" },
    },
    {
      name: "lib-is-a-leaf",
      severity: "error",
      comment: "src/lib/ holds small generic helpers: it imports nothing else from src/.",
      from: { path: "^src/lib/" },
      to: { path: "^src/", pathNot: "^src/lib/" },
    },
    {
      name: "deps-not-to-domains",
      severity: "error",
      comment: "src/deps/ holds the interfaces to outside systems and their implementations: it knows no domain folder (identity, requests, transfer, routes, …).",
      from: { path: "^src/deps/" },
      to: { path: "^src/[^/]+/", pathNot: "^src/(deps|lib)/" },
    },
    {
      name: "node-builtins-only-in-runtime",
      severity: "error",
      comment:
        "Code outside src/runtime/ runs on workerd, Node and Deno alike: Node's built-in modules are imported in src/runtime/ only (Deno's globals are not imports). " +
        "src/runtime/ holds the entry points, node/ (the Node/Deno implementations of the interfaces in src/deps/ and src/transfer/ferry/) and cli/ (the command lines).",
      from: { path: "^src/", pathNot: "^src/runtime/" },
      to: { dependencyTypes: ["core"], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "runtime-packages-only-in-runtime",
      severity: "error",
      comment: "Likewise the Node HTTP server, libSQL's native (Node) client and the TCP Redis client; libSQL's web client runs everywhere.",
      from: { path: "^src/", pathNot: "^src/runtime/" },
      to: {
        dependencyTypesNot: ["type-only"],
        path: "^node_modules/(@hono/node-server/|@libsql/client/lib-(esm|cjs)/node\\.|redis/|@redis/)",
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count for cycles (they tie modules together just the same).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"], extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
