// An API failure in words a worker can act on; the server's own message (English, technical)
// follows in small print for the helpdesk.

import { ApiError } from "../api";
import { useI18n } from "../i18n";

export function errorText(m: ReturnType<typeof useI18n>["m"], e: ApiError): string {
  if (e.status === 0) return m.common.network;
  if (e.code === "csrf_failed") return m.common.staleForm;
  if (e.status === 403) return m.common.forbidden;
  if (e.status === 404) return m.common.notFound;
  if (e.status === 409) return m.common.conflict;
  return m.common.error;
}

export function ErrorMessage({ error, testId }: { error: ApiError | undefined; testId?: string }) {
  const { m } = useI18n();
  if (!error) return null;
  const showServer = error.status !== 0 && error.status !== 403 && error.status !== 404;
  return (
    <div class="notice notice-error" role="alert" data-testid={testId ?? "error"}>
      <p>{errorText(m, error)}</p>
      {showServer && error.message ? (
        <p class="small">
          {m.common.serverSays}: <span lang="en">{error.message}</span>
        </p>
      ) : null}
    </div>
  );
}

export function Loading() {
  const { m } = useI18n();
  return (
    <p class="loading" role="status">
      {m.common.loading}
    </p>
  );
}
