// JSON calls for tests, over real HTTP (fetch) or into an app (app.request): one shape of call
// and of answer, so suites read the same whichever way they reach a network.
export type Json = Record<string, any>;
export interface JsonInit {
  /** Defaults to GET, or POST when there is a body. */
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}
export type Send = (path: string, init: RequestInit) => Response | Promise<Response>;

export async function sendJson(send: Send, path: string, init: JsonInit = {}) {
  const res = await send(path, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Json };
}

/** Over HTTP to `base`. */
export const fetchJson = (base: string, path: string, init?: JsonInit) => sendJson((p, i) => fetch(base + p, i), path, init);
