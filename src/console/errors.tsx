import type { Context } from "hono";
import { CATALOG } from "../errors.ts";
import { problemOf } from "../middleware/problems.ts";
import type { ConsoleEnv } from "./env.ts";
import type { NavItem } from "./layout.tsx";
import { renderPage } from "./render.tsx";
import { setSecurityHeaders } from "./headers.ts";

/**
 * Any error under /console as a page: the same problem (code, status, detail) the JSON API
 * would answer, never a stack. Unexpected errors are logged with their stack by the access log.
 */
export async function errorPage(c: Context<ConsoleEnv>, err: Error, nav: NavItem[]): Promise<Response> {
  const { code, options } = problemOf(err);
  const entry = CATALOG[code];
  for (const [k, v] of Object.entries(options.headers ?? {})) if (k.toLowerCase() !== "www-authenticate") c.header(k, v);
  setSecurityHeaders(c);
  c.header("Cache-Control", "no-store");
  const body = (
    <>
      <p>{options.detail ?? entry.title}</p>
      {options.errors?.length ? (
        <ul>
          {options.errors.map((e) => (
            <li>{`${e.parameter ?? e.pointer ?? ""}: ${e.detail}`}</li>
          ))}
        </ul>
      ) : null}
      <p class="hint">
        Problem code <code class="problem-code">{code}</code> (HTTP {entry.status}) · request id <code class="problem-code">{c.get("requestId") ?? "unknown"}</code>
      </p>
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </>
  );
  return renderPage(c, { title: entry.title, body, nav, status: entry.status });
}
