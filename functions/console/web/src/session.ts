// Signing in and out (`/api/v1/session`), and signing out by itself after the idle time the
// server gives: a console left open on a shared desk must not keep showing residents' data.

import { ApiError, request, setCsrfToken } from "./api";
import type { Session } from "./types";

/** The current session, or why there is none (an error code to explain on the sign-in page). */
export type SessionState =
  | { kind: "loading" }
  | { kind: "signed-out"; reason?: string }
  | { kind: "signed-in"; session: Session };

/** Asks the server whether the cookie still holds a session. */
export async function loadSession(): Promise<SessionState> {
  try {
    const session = await request<Session>("GET", "/api/v1/session", undefined, { signIn: true });
    setCsrfToken(session.csrf_token);
    return { kind: "signed-in", session };
  } catch (e) {
    setCsrfToken(null);
    if (e instanceof ApiError && e.status === 401) {
      // A plain "unauthorized" is the normal first visit: nothing to explain.
      return { kind: "signed-out", reason: e.code === "session_expired" ? e.code : undefined };
    }
    return { kind: "signed-out", reason: e instanceof ApiError ? e.code : "network" };
  }
}

/** Signs in; rejects with the API's error (`sign_in_failed`, `sign_in_locked`, …). */
export async function signIn(username: string, password: string): Promise<Session> {
  const session = await request<Session>(
    "POST",
    "/api/v1/session",
    { username, password },
    { signIn: true },
  );
  setCsrfToken(session.csrf_token);
  return session;
}

/** Ends the session on the server; the caller drops its state whatever the answer. */
export async function signOut(): Promise<void> {
  // The request takes the token with it; forget it at once, before the answer comes.
  const done = request<void>("DELETE", "/api/v1/session", undefined, { signIn: true });
  setCsrfToken(null);
  try {
    await done;
  } catch {
    // Already gone, or the network is down: the cookie dies with the server's session.
  }
}

const ACTIVITY = ["pointerdown", "keydown", "wheel", "touchstart"] as const;

/**
 * Calls `onIdle` once nobody has touched the page for `seconds`. Polling (the board) is not
 * activity; only a person is. Returns a function that stops watching.
 */
export function watchIdle(seconds: number, onIdle: () => void): () => void {
  if (!(seconds > 0)) return () => {};
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  for (const e of ACTIVITY) window.addEventListener(e, touch, { passive: true, capture: true });
  const timer = window.setInterval(() => {
    if (Date.now() - last >= seconds * 1000) {
      stop();
      onIdle();
    }
  }, 5000);
  function stop() {
    window.clearInterval(timer);
    for (const e of ACTIVITY) window.removeEventListener(e, touch, { capture: true });
  }
  return stop;
}
