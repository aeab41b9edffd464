// The console's shell: the session (signed in or not), the language, the route. Without a
// session only the sign-in page exists, so losing the session (a 401 from any call, sign-out,
// or the idle timeout) unmounts every page and leaves no resident's data on screen.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { get, onUnauthorized } from "./api";
import { Header } from "./components/Header";
import { Loading } from "./components/ErrorMessage";
import { applyLang, I18nContext, savedLang, setTitle } from "./i18n";
import { catalogues, type Lang, type Messages } from "./messages";
import { Board } from "./pages/Board";
import { Crisis } from "./pages/Crisis";
import { IncidentDetail } from "./pages/IncidentDetail";
import { NotFound } from "./pages/NotFound";
import { ResidentDetail } from "./pages/ResidentDetail";
import { ResidentNew } from "./pages/ResidentNew";
import { Residents } from "./pages/Residents";
import { SignIn } from "./pages/SignIn";
import { Stats } from "./pages/Stats";
import { useRoute, type Route } from "./router";
import { loadSession, signOut, watchIdle, type SessionState } from "./session";
import { StaffContext, type StaffInfo } from "./staff";
import type { Centre } from "./types";

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "board":
      return <Board />;
    case "incident":
      return <IncidentDetail id={route.id} />;
    case "residents":
      return <Residents />;
    case "resident-new":
      return <ResidentNew />;
    case "resident":
      return <ResidentDetail id={route.id} />;
    case "crisis":
      return <Crisis />;
    case "stats":
      return <Stats />;
    default:
      return <NotFound />;
  }
}

/** Each page's name, for the window title (screen readers announce it on navigation). */
function pageTitle(route: Route, m: Messages): string {
  switch (route.page) {
    case "board":
      return m.board.title;
    case "incident":
      return m.incident.title("").replace(/:\s*$/, "");
    case "residents":
    case "resident":
      return m.residents.title;
    case "resident-new":
      return m.enrol.title;
    case "crisis":
      return m.crisis.title;
    case "stats":
      return m.stats.title;
    default:
      return m.notFound.title;
  }
}

export function App() {
  const [lang, setLang] = useState<Lang>(savedLang);
  const [state, setState] = useState<SessionState>({ kind: "loading" });
  const [centres, setCentres] = useState<Centre[]>([]);
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const firstRoute = useRef(true);

  useEffect(() => applyLang(lang), [lang]);
  const i18n = useMemo(() => ({ lang, m: catalogues[lang] }), [lang]);
  const toggleLang = () => setLang((l) => (l === "ko" ? "en" : "ko"));

  useEffect(() => {
    onUnauthorized((code) =>
      setState((s) => (s.kind === "signed-in" ? { kind: "signed-out", reason: code === "unauthorized" ? "session_expired" : code } : s)),
    );
    void loadSession().then(setState);
  }, []);

  const session = state.kind === "signed-in" ? state.session : null;

  useEffect(() => {
    setTitle(state.kind === "signed-in" ? pageTitle(route, i18n.m) : state.kind === "signed-out" ? i18n.m.signIn.title : "", i18n.m);
  }, [route, state.kind, i18n]);

  // Per session: the centre directory (dong names), and the idle sign-out.
  useEffect(() => {
    if (!session) {
      setCentres([]);
      return;
    }
    const ctl = new AbortController();
    get<{ centres: Centre[] }>("/api/v1/centres", ctl.signal)
      .then((r) => setCentres(r.centres))
      .catch(() => {});
    const stopIdle = watchIdle(session.idle_timeout_seconds, () => {
      void signOut();
      setState({ kind: "signed-out", reason: "idle" });
    });
    return () => {
      ctl.abort();
      stopIdle();
    };
  }, [session]);

  // A new page takes the focus, so keyboard and screen-reader users start at its top.
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [route]);

  const staffInfo: StaffInfo | null = useMemo(
    () => (session ? { staff: session.staff, centres } : null),
    [session, centres],
  );

  let body;
  if (state.kind === "loading") {
    body = (
      <main id="main" tabIndex={-1}>
        <Loading />
      </main>
    );
  } else if (state.kind === "signed-out" || !staffInfo) {
    body = (
      <SignIn
        reason={state.kind === "signed-out" ? state.reason : undefined}
        onSignedIn={(s) => setState({ kind: "signed-in", session: s })}
        onToggleLang={toggleLang}
      />
    );
  } else {
    const routeKey = JSON.stringify(route);
    body = (
      <StaffContext.Provider value={staffInfo}>
        <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>
          {i18n.m.skipToContent}
        </a>
        <Header
          route={route}
          onToggleLang={toggleLang}
          onSignOut={() => {
            void signOut();
            setState({ kind: "signed-out", reason: "signed_out" });
          }}
        />
        <main id="main" ref={mainRef} tabIndex={-1} data-testid="page" data-page={route.page}>
          <Page key={routeKey} route={route} />
        </main>
      </StaffContext.Provider>
    );
  }
  return <I18nContext.Provider value={i18n}>{body}</I18nContext.Provider>;
}
