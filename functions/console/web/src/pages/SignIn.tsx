// The sign-in page. One message for every refusal, so the page never tells whether a username
// exists; a lock-out after too many attempts is said plainly.

import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { useI18n } from "../i18n";
import { signIn } from "../session";
import type { Session } from "../types";

interface Props {
  /** Why the previous session ended, if it did (`session_expired`, `idle`, `signed_out`). */
  reason?: string;
  onSignedIn: (s: Session) => void;
  onToggleLang: () => void;
}

export function SignIn({ reason, onSignedIn, onToggleLang }: Props) {
  const { m, lang } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const notice =
    reason === "session_expired"
      ? m.signIn.expired
      : reason === "idle"
        ? m.signIn.idle
        : reason === "signed_out"
          ? m.signIn.signedOut
          : reason === "network"
            ? m.common.network
            : undefined;

  async function submit(e: Event) {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError(m.signIn.failed);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const session = await signIn(username.trim(), password);
      setPassword("");
      onSignedIn(session);
    } catch (err) {
      setPassword("");
      if (err instanceof ApiError && (err.status === 429 || err.code === "sign_in_locked")) {
        setError(m.signIn.locked);
      } else if (err instanceof ApiError && err.status === 0) {
        setError(m.common.network);
      } else {
        setError(m.signIn.failed);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <header class="site-header site-header-plain">
        <div class="brand">
          <span class="brand-link">{m.appName}</span>
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
        </div>
      </header>
      <main id="main" class="signin" tabIndex={-1}>
        <form class="card signin-card" onSubmit={submit} noValidate data-testid="sign-in-form">
          <h1>{m.signIn.title}</h1>
          <p>{m.signIn.intro}</p>
          {notice && !error ? (
            <p class="notice" role="status" data-testid="sign-in-notice">
              {notice}
            </p>
          ) : null}
          {error ? (
            <p class="notice notice-error" role="alert" data-testid="sign-in-error">
              {error}
            </p>
          ) : null}
          <div class="field">
            <label for="signin-username">{m.signIn.username}</label>
            <input
              id="signin-username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellcheck={false}
              required
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="signin-password">{m.signIn.password}</label>
            <input
              id="signin-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </div>
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="sign-in-submit">
            {busy ? m.signIn.submitting : m.signIn.submit}
          </button>
        </form>
      </main>
    </>
  );
}
