import { ANY_ROLE } from "../../identity/roles.ts";
import { definePage } from "../page.ts";

/** `/console`: where sign-in lands; the pages this user may open. */
export const homePage = definePage({
  path: "/console",
  title: "Console",
  nav: "Home",
  roles: ANY_ROLE,
  async get(ctx) {
    const pages = ctx.nav.filter((n) => n.href !== "/console");
    return ctx.render(
      <>
        <p>
          Signed in to the {ctx.s.config.role} network as {ctx.user.email} with the role {ctx.user.role}.
        </p>
        {pages.length ? (
          <ul>
            {pages.map((n) => (
              <li>
                <a href={n.href}>{n.label}</a>
              </li>
            ))}
          </ul>
        ) : (
          <p>There are no console pages for your role on this network yet.</p>
        )}
      </>,
    );
  },
});
