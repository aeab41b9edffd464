// Suspend (with a reason and an expected return), resume, and unenrol (two steps, no browser
// dialog) — the enrolment changes the API offers, each recorded with who and why.

import { useState } from "preact/hooks";
import { ApiError, post, seg } from "../api";
import { useI18n } from "../i18n";
import type { Resident } from "../types";
import { ErrorMessage } from "./ErrorMessage";
import { Field } from "./Field";

type Action = "suspend" | "resume" | "unenrol";

export function ResidentLifecycle({ resident, onChanged }: { resident: Resident; onChanged: () => void }) {
  const { m } = useI18n();
  const [reason, setReason] = useState("");
  const [until, setUntil] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [fieldError, setFieldError] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const status = resident.status ?? "active";
  if (status === "unenrolled") return null;

  async function act(action: Action) {
    setError(undefined);
    setFieldError(undefined);
    if (action !== "resume" && !reason.trim()) {
      setFieldError(m.common.required);
      document.getElementById("lifecycle-reason")?.focus();
      return;
    }
    if (action === "unenrol" && !confirming) {
      setConfirming(true);
      return;
    }
    const body: Record<string, string> = {};
    if (action === "resume") {
      if (reason.trim()) body.note = reason.trim();
    } else body.reason = reason.trim();
    if (action === "suspend" && until) body.expected_return = `${until}T09:00:00+09:00`;
    setBusy(true);
    try {
      await post<Resident>(`/api/v1/residents/${seg(resident.id)}/${action}`, body);
      setReason("");
      setUntil("");
      setConfirming(false);
      onChanged();
    } catch (e) {
      const ae = e instanceof ApiError ? e : new ApiError(0, "network", String(e));
      if (ae.field === "reason" || ae.field === "note") setFieldError(`${m.common.invalid}: ${ae.message}`);
      else setError(ae);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="inline-form" onSubmit={(e) => e.preventDefault()} noValidate aria-labelledby="lifecycle-h" data-testid="lifecycle-form">
      <h3 id="lifecycle-h">{m.resident.lifecycle}</h3>
      <Field
        id="lifecycle-reason"
        label={m.resident.reason}
        required={status !== "suspended"}
        error={fieldError}
      >
        {(p) => <textarea {...p} rows={2} maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
      </Field>
      {status === "active" ? (
        <>
          <Field id="lifecycle-until" label={`${m.resident.expectedReturn} ${m.common.optional}`} hint={m.resident.suspendHelp}>
            {(p) => <input {...p} type="date" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />}
          </Field>
          <button type="button" class="btn btn-secondary" disabled={busy} onClick={() => act("suspend")} data-testid="resident-suspend">
            {m.resident.suspend}
          </button>
        </>
      ) : (
        <button type="button" class="btn btn-primary" disabled={busy} onClick={() => act("resume")} data-testid="resident-resume">
          {m.resident.resume}
        </button>
      )}
      <p class="small">{m.resident.unenrolHelp}</p>
      <button type="button" class="btn btn-danger" disabled={busy} onClick={() => act("unenrol")} data-testid="resident-unenrol">
        {confirming ? m.resident.unenrolConfirm : m.resident.unenrol}
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
