import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess, type App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { passwordLogin } from "../../identity/login.ts";
import { TokenPairSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/token",
  operationId: "login",
  ...publicAccess(),
  tags: ["Auth"],
  summary: "Log in with e-mail and password",
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) }).openapi("LoginRequest") } },
    },
  },
  responses: {
    200: { description: "Tokens", content: { "application/json": { schema: TokenPairSchema } } },
    ...problemResponses(400, 401, 403, 429, 503),
  },
});

export function registerAuthToken(app: App) {
  app.openapi(route, async (c) => {
    const { email, password } = c.req.valid("json");
    const { tokens } = await passwordLogin(c, email, password);
    c.header("Cache-Control", "no-store");
    return c.json(tokens, 200);
  });
}
