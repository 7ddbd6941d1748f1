import type { Child } from "hono/jsx";
import type { ConsoleUser } from "./env.ts";
import type { Flash } from "./flash.ts";
import { assetUrl } from "./assets.ts";
import { CsrfField } from "./components/form.tsx";

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

export const networkLabel = (n: LayoutProps["network"]) => `${n.role === "request" ? "Request" : "Response"} network (${n.id})`;

function FlashMessage(p: { flash: Flash }) {
  // Errors interrupt (alert); confirmations are announced politely (status).
  return (
    <div class={`flash ${p.flash.kind}`} role={p.flash.kind === "error" ? "alert" : "status"}>
      {p.flash.text}
    </div>
  );
}

/** Every console page: skip link, header (network, who is signed in, sign-out), nav, main with the title. */
export function Layout(p: LayoutProps) {
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
