import type { Child } from "hono/jsx";
import type { ConsoleUser } from "./env.ts";
import type { Flash } from "./flash.ts";
import { assetUrl } from "./assets.ts";
import { CsrfField } from "./components/form.tsx";
import { MAX_QUERY_CHARS } from "../requests/search-query.ts";

export interface NavItem {
  href: string;
  label: string;
  current: boolean;
}

export interface LayoutProps {
  title: string;
  network: { role: "request" | "response"; id: string };
  user?: ConsoleUser;
  /** Only the pages this user may open on this network. */
  nav: NavItem[];
  flash?: Flash;
  children?: Child;
}

/** The search page; the header carries a search box to it for whoever may open it. */
export const SEARCH_PATH = "/console/search";

export const networkLabel = (n: LayoutProps["network"]) => `${n.role === "request" ? "Request" : "Response"} network (${n.id})`;

function FlashMessage(p: { flash: Flash }) {
  // Errors interrupt (alert); confirmations are announced politely (status).
  return (
    <div class={`flash ${p.flash.kind}`} role={p.flash.kind === "error" ? "alert" : "status"}>
      {p.flash.text}
    </div>
  );
}

/** A search box in the header, on every page but the search page itself (which has its own form). */
function HeaderSearch() {
  return (
    <search class="top-search" aria-label="Quick search">
      <form method="get" action={SEARCH_PATH}>
        <label for="top-q" class="vh">
          Search requests
        </label>
        <input id="top-q" name="q" type="search" maxlength={MAX_QUERY_CHARS} placeholder="Search requests" />
        <button type="submit">Search</button>
      </form>
    </search>
  );
}

/** Every console page: skip link, header (network, search, who is signed in, sign-out), nav, main with the title. */
export function Layout(p: LayoutProps) {
  const search = p.nav.find((item) => item.href === SEARCH_PATH);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${p.title} · Airlock console · ${networkLabel(p.network)}`}</title>
        <link rel="stylesheet" href={assetUrl("console.css")} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <p class="brand">
            <a href="/console">Airlock console</a>
          </p>
          <span class="network">{networkLabel(p.network)}</span>
          {search && !search.current && <HeaderSearch />}
          {p.user && (
            <div class="who">
              <span>
                Signed in as <strong>{p.user.name}</strong> ({p.user.email}, role {p.user.role})
              </span>
              <form method="post" action="/console/sign-out">
                <CsrfField token={p.user.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          )}
        </header>
        {p.nav.length > 0 && (
          <nav class="pages" aria-label="Console pages">
            <ul>
              {p.nav.map((item) => (
                <li>
                  <a href={item.href} aria-current={item.current ? "page" : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="main" tabindex={-1}>
          <h1>{p.title}</h1>
          {p.flash && <FlashMessage flash={p.flash} />}
          {p.children}
        </main>
      </body>
    </html>
  );
}
