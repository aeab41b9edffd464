// The console's banner: the app's name, the main menu, who is signed in (role and dong), the
// language toggle and sign-out.

import { useI18n } from "../i18n";
import { label } from "../messages";
import { href, type Route } from "../router";
import { dongName, useStaff } from "../staff";

interface Props {
  route: Route;
  onToggleLang: () => void;
  onSignOut: () => void;
}

/** Which menu entry a route belongs to. */
function section(route: Route): string {
  switch (route.page) {
    case "board":
    case "incident":
      return "board";
    case "residents":
    case "resident":
    case "resident-new":
      return "residents";
    default:
      return route.page;
  }
}

export function Header({ route, onToggleLang, onSignOut }: Props) {
  const { m, lang } = useI18n();
  const { staff, centres } = useStaff();
  const current = section(route);
  const links: [string, string, string][] = [
    ["board", href.board, m.nav.board],
    ["residents", href.residents, m.nav.residents],
    ["crisis", href.crisis, m.nav.crisis],
    ["stats", href.stats, m.nav.stats],
  ];
  return (
    <header class="site-header">
      <div class="brand">
        <a href={href.board} class="brand-link">
          {m.appName}
        </a>
      </div>
      <nav aria-label={m.nav.label} class="main-nav">
        <ul>
          {links.map(([key, to, text]) => (
            <li key={key}>
              <a href={to} aria-current={current === key ? "page" : undefined} data-testid={`nav-${key}`}>
                {text}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who" data-testid="who">
        <span class="visually-hidden">{m.header.signedInAs}: </span>
        <span class="who-name">{staff.username}</span>
        <span class="who-role">
          {label(m.labels.role, staff.role)}
          {staff.dong ? ` · ${dongName(centres, staff.dong)}` : ""}
        </span>
      </div>
      <div class="header-actions">
        <button
          type="button"
          class="btn btn-quiet"
          onClick={onToggleLang}
          lang={lang === "ko" ? "en" : "ko"}
          aria-label={m.header.languageLabel}
          data-testid="lang-toggle"
        >
          {m.header.language}
        </button>
        <button type="button" class="btn btn-quiet" onClick={onSignOut} data-testid="sign-out">
          {m.header.signOut}
        </button>
      </div>
    </header>
  );
}
