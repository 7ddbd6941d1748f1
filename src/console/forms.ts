import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors.ts";
import type { Services } from "../services.ts";
import type { ConsoleEnv, FormFields } from "./env.ts";
import { CSRF_FIELD, checkOrigin, checkToken } from "./csrf.ts";

const FORM_TYPE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/**
 * Every console POST, before any page sees it: the Origin check, a form body (urlencoded or
 * multipart) no larger than the API's body limit after encoding, and the CSRF token. The fields
 * are then `c.get("form")`. No page can forget the check: pages never read the body themselves.
 * `uploadLimit`: an action that takes a file (a page's `uploads`) has that limit instead; no other does.
 */
export function formPosts(uploadLimit?: (s: Services) => number): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.req.method !== "POST") return next();
    checkOrigin(c);
    const type = c.req.header("content-type") ?? "";
    if (!FORM_TYPE.test(type)) throw new ApiError("unsupported_media_type", { detail: "console forms are sent as application/x-www-form-urlencoded or multipart/form-data" });
    // Percent-encoding can triple a value: the largest body the JSON API takes still fits.
    const s = c.get("services");
    const maxSize = uploadLimit ? uploadLimit(s) : s.config.maxBodyBytes * 3 + 8192;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", { detail: `the form exceeds ${maxSize} bytes` });
      },
    })(c, async () => {
      const form = (await c.req.parseBody({ all: false })) as FormFields;
      checkToken(c, form[CSRF_FIELD]);
      c.set("form", form);
      await next();
    });
  };
}

/** A text field of a posted form ("" when absent or a file). */
export const field = (form: FormFields | undefined, name: string): string => {
  const v = form?.[name];
  return typeof v === "string" ? v : "";
};
