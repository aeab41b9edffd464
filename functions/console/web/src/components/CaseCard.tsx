// One crisis household in the dong's follow-up queue: why it was flagged (the indicators with
// their points) and a form to record the next follow-up step with a note.

import { useState } from "preact/hooks";
import { ApiError, post, seg } from "../api";
import { formatTime } from "../format";
import { useI18n } from "../i18n";
import { label } from "../messages";
import type { Case, FlaggedHousehold } from "../types";
import { ErrorMessage } from "./ErrorMessage";
import { Field } from "./Field";

/** Follow-up statuses a worker may record (`safetynet_cases::STATUSES` after `new`). */
export const CASE_STATUSES = ["contacted", "supported", "linked", "not-eligible", "unreachable", "declined"];

interface Props {
  household: FlaggedHousehold;
  kase?: Case;
  onUpdated: () => void;
}

export function CaseCard({ household: h, kase, onUpdated }: Props) {
  const { m, lang } = useI18n();
  const [status, setStatus] = useState("");
  const [note, setNote] = useState("");
  const [service, setService] = useState("");
  const [agency, setAgency] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const current = kase?.status ?? h.case_status ?? "new";
  const idp = `case-${h.case_id}`;

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!status) errs.status = m.common.required;
    if (status === "supported" && !service.trim()) errs.service = m.common.required;
    if (status === "linked" && !agency.trim()) errs.agency = m.common.required;
    setErrors(errs);
    setError(undefined);
    setSaved(false);
    if (Object.keys(errs).length) return;
    const body: Record<string, string> = { status };
    if (note.trim()) body.note = note.trim();
    if (service.trim()) body.service = service.trim();
    if (agency.trim()) body.agency = agency.trim();
    setBusy(true);
    try {
      await post(`/api/v1/cases/${seg(h.case_id)}/status`, body);
      setStatus("");
      setNote("");
      setService("");
      setAgency("");
      setSaved(true);
      onUpdated();
    } catch (err) {
      const ae = err instanceof ApiError ? err : new ApiError(0, "network", String(err));
      if (ae.field && ["status", "note", "service", "agency"].includes(ae.field)) {
        setErrors({ [ae.field]: `${m.common.invalid}: ${ae.message}` });
      } else setError(ae);
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class="card case-card" aria-labelledby={`${idp}-h`} data-testid="case-card" data-case-id={h.case_id}>
      <h3 id={`${idp}-h`}>
        {m.crisis.household} {h.household_id}
      </h3>
      <dl class="facts facts-inline">
        <dt>{m.crisis.rank}</dt>
        <dd>{h.rank}</dd>
        <dt>{m.crisis.score}</dt>
        <dd>{h.score}</dd>
        <dt>{m.crisis.band}</dt>
        <dd>{label(m.labels.band, h.band)}</dd>
        <dt>{m.crisis.status}</dt>
        <dd>
          <span class={`badge case-${current}`} data-testid="case-status" data-status={current}>
            {label(m.labels.caseStatus, current)}
          </span>
          {kase?.updated_at && current !== "new" ? <span class="small"> ({formatTime(kase.updated_at, lang)})</span> : null}
        </dd>
        {kase?.service ? (
          <>
            <dt>{m.crisis.service}</dt>
            <dd>{kase.service}</dd>
          </>
        ) : null}
        {kase?.agency ? (
          <>
            <dt>{m.crisis.agency}</dt>
            <dd>{kase.agency}</dd>
          </>
        ) : null}
      </dl>
      <h4>{m.crisis.reasons}</h4>
      <ul class="reasons" data-testid="case-reasons">
        {(h.reasons ?? []).map((r) => (
          <li key={r.id}>
            {(lang === "ko" ? r.name_ko : r.name_en) || r.name_ko || r.id}
            {typeof r.points === "number" ? <span class="small"> · {m.crisis.points(r.points)}</span> : null}
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={submit} noValidate aria-label={`${m.crisis.update}: ${m.crisis.household} ${h.household_id}`}>
        <Field id={`${idp}-status`} label={m.crisis.newStatus} required error={errors.status}>
          {(p) => (
            <select {...p} value={status} onChange={(e) => setStatus(e.currentTarget.value)} data-testid="case-status-select">
              <option value="">{m.enrol.choose}</option>
              {CASE_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {label(m.labels.caseStatus, s)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {status === "supported" ? (
          <Field id={`${idp}-service`} label={m.crisis.service} required error={errors.service}>
            {(p) => <input {...p} maxLength={200} value={service} onInput={(e) => setService(e.currentTarget.value)} />}
          </Field>
        ) : null}
        {status === "linked" ? (
          <Field id={`${idp}-agency`} label={m.crisis.agency} required error={errors.agency}>
            {(p) => <input {...p} maxLength={200} value={agency} onInput={(e) => setAgency(e.currentTarget.value)} />}
          </Field>
        ) : null}
        <Field id={`${idp}-note`} label={`${m.crisis.note} ${m.common.optional}`} error={errors.note}>
          {(p) => <textarea {...p} rows={2} maxLength={4000} value={note} onInput={(e) => setNote(e.currentTarget.value)} data-testid="case-note" />}
        </Field>
        <ErrorMessage error={error} />
        {saved ? (
          <p class="notice notice-ok" role="status" data-testid="case-saved">
            {m.crisis.saved}
          </p>
        ) : null}
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="case-submit">
          {m.crisis.submit}
        </button>
      </form>
    </article>
  );
}
