// What a responder does with an open incident: acknowledge (stops the ladder), resolve with an
// outcome, or cancel as a false alarm (a reason is required). Each with its note; the page
// reloads the incident afterwards so the new state is the server's, not a guess.

import { useState } from "preact/hooks";
import { ApiError, post, seg } from "../api";
import { useI18n } from "../i18n";
import { label } from "../messages";
import type { Incident } from "../types";
import { ErrorMessage } from "./ErrorMessage";
import { Field } from "./Field";

/** Outcomes `POST …/resolve` accepts (`safetynet_alerting::incidents::OUTCOMES`). */
export const OUTCOMES = [
  "transported-by-119",
  "resolved-by-caregiver",
  "resolved-by-welfare-centre",
  "resolved-on-site",
  "no-action-needed",
];

type Action = "acknowledge" | "resolve" | "cancel";

interface Props {
  incident: Incident;
  onDone: (action: Action) => void;
}

export function IncidentActions({ incident, onDone }: Props) {
  const { m } = useI18n();
  const open = incident.state === "triggered" || incident.state === "acknowledged";
  if (!open) {
    return (
      <p class="notice" data-testid="incident-closed">
        {m.incident.closedNotice}
      </p>
    );
  }
  return (
    <div class="actions-grid">
      {incident.state === "triggered" ? (
        <ActionForm incident={incident} action="acknowledge" onDone={onDone} />
      ) : null}
      <ActionForm incident={incident} action="resolve" onDone={onDone} />
      <ActionForm incident={incident} action="cancel" onDone={onDone} />
    </div>
  );
}

function ActionForm({ incident, action, onDone }: { incident: Incident; action: Action; onDone: (a: Action) => void }) {
  const { m } = useI18n();
  const [note, setNote] = useState("");
  const [outcome, setOutcome] = useState("");
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError>();

  const title = action === "acknowledge" ? m.incident.acknowledge : action === "resolve" ? m.incident.resolve : m.incident.cancel;
  const help =
    action === "acknowledge" ? m.incident.acknowledgeHelp : action === "resolve" ? m.incident.resolveHelp : m.incident.cancelHelp;
  const noteName = action === "cancel" ? "reason" : "note";
  const noteLabel = action === "cancel" ? m.incident.reason : m.incident.note;
  const idp = `${action}-${incident.id}`;

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (action === "resolve" && !outcome) errs.outcome = m.common.required;
    if (action === "cancel" && !note.trim()) errs.reason = m.common.required;
    if (note.length > 2000) errs[noteName] = m.common.tooLong(2000);
    setFieldErrors(errs);
    setError(undefined);
    if (Object.keys(errs).length) return;
    const body: Record<string, string> = {};
    if (note.trim()) body[noteName] = note.trim();
    if (action === "resolve") body.outcome = outcome;
    setBusy(true);
    try {
      await post(`/api/v1/incidents/${seg(incident.id)}/${action}`, body);
      setNote("");
      setOutcome("");
      onDone(action);
    } catch (err) {
      const ae = err instanceof ApiError ? err : new ApiError(0, "network", String(err));
      if (ae.field && (ae.field === "outcome" || ae.field === noteName)) {
        setFieldErrors({ [ae.field]: `${m.common.invalid} (${ae.message})` });
      } else {
        setError(ae);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card action-card" onSubmit={submit} noValidate aria-labelledby={`${idp}-h`} data-testid={`form-${action}`}>
      <h3 id={`${idp}-h`}>{title}</h3>
      <p class="small">{help}</p>
      {action === "resolve" ? (
        <Field id={`${idp}-outcome`} label={m.incident.outcomeSelect} required error={fieldErrors.outcome}>
          {(p) => (
            <select {...p} name="outcome" required value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)} data-testid="resolve-outcome">
              <option value="">{m.incident.chooseOutcome}</option>
              {OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {label(m.labels.outcome, o)}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
      <Field id={`${idp}-${noteName}`} label={noteLabel} required={action === "cancel"} error={fieldErrors[noteName]}>
        {(p) => (
          <textarea
            {...p}
            name={noteName}
            rows={2}
            maxLength={2000}
            required={action === "cancel"}
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
            data-testid={`${action}-note`}
          />
        )}
      </Field>
      <ErrorMessage error={error} />
      <button type="submit" class={`btn ${action === "cancel" ? "btn-secondary" : "btn-primary"}`} disabled={busy} data-testid={`action-${action}`}>
        {title}
      </button>
    </form>
  );
}
