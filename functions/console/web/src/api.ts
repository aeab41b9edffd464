// The one way the console talks to the suite: same-origin fetch with the session cookie, the
// CSRF token on every write, and one place that notices a lost session (any 401).

/** An error answer, `{"error": {"code", "message", "field"?}}`, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let unauthorized: (code: string) => void = () => {};

/** Remembers the token the session handed out; writes echo it in `X-CSRF-Token`. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Who to tell when the server says the session is gone (the app drops all state). */
export function onUnauthorized(handler: (code: string) => void): void {
  unauthorized = handler;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface Options {
  /** Sign-in answers 401 for a wrong password: that is not a lost session. */
  signIn?: boolean;
  signal?: AbortSignal;
  /** Set on the one retry after fetching a fresh CSRF token. */
  retried?: boolean;
}

/** Calls the API; resolves with the parsed JSON (undefined for 204), rejects with ApiError. */
export async function request<T>(
  method: Method,
  path: string,
  body?: unknown,
  options: Options = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") {
    headers["content-type"] = "application/json";
    if (csrfToken) headers["x-csrf-token"] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", String(e));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; field?: string } })?.error;
    const e = new ApiError(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? res.statusText,
      err?.field ?? (res.status === 400 ? fieldFromMessage(err?.message) : undefined),
    );
    if (res.status === 401 && !options.signIn) unauthorized(e.code);
    // Another tab signed in again and the token changed: take the session's token and retry once.
    if (e.code === "csrf_failed" && !options.retried && (await refreshCsrf())) {
      return request<T>(method, path, body, { ...options, retried: true });
    }
    throw e;
  }
  return data as T;
}

/** Reads the session's current CSRF token; false when there is no session any more. */
async function refreshCsrf(): Promise<boolean> {
  try {
    const s = await request<{ csrf_token: string }>("GET", "/api/v1/session");
    csrfToken = s.csrf_token;
    return true;
  } catch {
    return false;
  }
}

/** Older answers name the field only as the message's prefix (`"name: required"`). */
function fieldFromMessage(message?: string): string | undefined {
  const m = message?.match(/^([a-z_][a-z0-9_.[\]]*): /);
  return m?.[1];
}

export const get = <T>(path: string, signal?: AbortSignal) =>
  request<T>("GET", path, undefined, { signal });
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {});

/** Builds `path?k=v&…`, leaving out empty values. */
export function withQuery(path: string, params: Record<string, string | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** A path segment from an id the API gave us. */
export const seg = encodeURIComponent;
