// One incident for a responder: what happened and who the resident is (age, address, medical
// notes, caregivers' phones), what was done, and the actions still open.

import { useState } from "preact/hooks";
import { get, seg } from "../api";
import { SeverityBadge, StateBadge } from "../components/Badge";
import { ErrorMessage, Loading } from "../components/ErrorMessage";
import { IncidentActions } from "../components/IncidentActions";
import { IncidentTimeline } from "../components/IncidentTimeline";
import { ageFromBirthYear, formatTime } from "../format";
import { useI18n } from "../i18n";
import { kindLabel, label } from "../messages";
import { href } from "../router";
import { canActOnIncidents, dongName, useStaff } from "../staff";
import type { IncidentDetail as Detail, ResidentSummary } from "../types";
import { useLoad } from "../useLoad";

/** The incident with its resident's summary for responders (age, address, notes, contacts). */
function loadIncident(id: string, signal: AbortSignal): Promise<Detail> {
  return get<Detail>(`/api/v1/incidents/${seg(id)}`, signal);
}

export function IncidentDetail({ id }: { id: string }) {
  const { m, lang } = useI18n();
  const { staff, centres } = useStaff();
  const { data, error, loading, reload } = useLoad((signal) => loadIncident(id, signal), [id]);
  const [done, setDone] = useState(false);

  if (!data) {
    return (
      <>
        <p>
          <a href={href.board}>← {m.incident.back}</a>
        </p>
        <h1>{m.incident.title("")}</h1>
        {error ? <ErrorMessage error={error} /> : <Loading />}
      </>
    );
  }
  const i = data;
  const t = (iso: string | null) => (iso ? <time dateTime={iso}>{formatTime(iso, lang)}</time> : "—");
  return (
    <>
      <p>
        <a href={href.board}>← {m.incident.back}</a>
      </p>
      <h1 data-testid="incident-title">
        {m.incident.title(kindLabel(m, i.kind))} <StateBadge state={i.state} /> <SeverityBadge severity={i.severity} />
      </h1>
      {done && !loading ? (
        <p class="notice notice-ok" role="status" data-testid="action-result">
          {m.incident.done(label(m.labels.state, i.state))}
        </p>
      ) : null}
      <ErrorMessage error={error} />

      <div class="two-col">
        <section class="card" aria-labelledby="inc-summary-h">
          <h2 id="inc-summary-h">{m.incident.summary}</h2>
          <dl class="facts">
            <dt>{m.board.col.state}</dt>
            <dd>
              <span data-testid="incident-state-text">{label(m.labels.state, i.state)}</span>
            </dd>
            <dt>{m.board.col.dong}</dt>
            <dd>{dongName(centres, i.dong)}</dd>
            <dt>{m.incident.opened}</dt>
            <dd>{t(i.opened_at)}</dd>
            <dt>{m.incident.lastEvent}</dt>
            <dd>{t(i.last_event_at)}</dd>
            <dt>{m.incident.eventCount}</dt>
            <dd>{i.event_count}</dd>
            {i.acknowledged_at ? (
              <>
                <dt>{m.incident.acknowledgedAt}</dt>
                <dd>
                  {t(i.acknowledged_at)} · {i.acknowledged_by}
                </dd>
              </>
            ) : null}
            {i.closed_at ? (
              <>
                <dt>{m.incident.closedAt}</dt>
                <dd>
                  {t(i.closed_at)} · {i.closed_by}
                </dd>
              </>
            ) : null}
            {i.outcome ? (
              <>
                <dt>{m.incident.outcome}</dt>
                <dd data-testid="incident-outcome">{label(m.labels.outcome, i.outcome)}</dd>
              </>
            ) : null}
            <dt>{m.incident.dispatchStatus}</dt>
            <dd>
              {i.dispatch_failed ? m.board.dispatchFailed : label(m.labels.dispatch, i.dispatch_status) || "—"}
            </dd>
            {i.transported_at ? (
              <>
                <dt>{m.incident.transportedAt}</dt>
                <dd>{t(i.transported_at)}</dd>
              </>
            ) : null}
          </dl>
        </section>
        {i.resident ? <ResidentCard r={i.resident} /> : null}
      </div>

      {canActOnIncidents(staff) ? (
        <section aria-labelledby="inc-actions-h" class="actions-section">
          <h2 id="inc-actions-h">{m.incident.actions}</h2>
          <IncidentActions
            incident={i}
            onDone={() => {
              setDone(true);
              reload();
            }}
          />
        </section>
      ) : null}

      <IncidentTimeline detail={i} />
    </>
  );
}

function ResidentCard({ r }: { r: ResidentSummary }) {
  const { m } = useI18n();
  const age = ageFromBirthYear(r.birth_year);
  return (
    <section class="card resident-card" aria-labelledby="inc-resident-h" data-testid="incident-resident">
      <h2 id="inc-resident-h">{m.incident.resident}</h2>
      <dl class="facts">
        <dt>{m.incident.name}</dt>
        <dd>
          <a href={href.resident(r.id)}>{r.name}</a>
        </dd>
        <dt>{m.incident.age}</dt>
        <dd>{age !== null && r.birth_year ? `${m.common.ageYears(age)} (${m.common.bornIn(r.birth_year)})` : m.common.unknown}</dd>
        <dt>{m.incident.address}</dt>
        <dd>{r.address}</dd>
        {r.phone ? (
          <>
            <dt>{m.incident.phone}</dt>
            <dd>
              <a href={`tel:${r.phone}`}>{r.phone}</a>
            </dd>
          </>
        ) : null}
        <dt>{m.incident.medical}</dt>
        <dd class="pre">{r.medical_notes || m.common.none}</dd>
      </dl>
      <h3>{m.incident.contacts}</h3>
      {r.contacts.length > 0 ? (
        <table class="data">
          <thead>
            <tr>
              <th scope="col">{m.incident.priority}</th>
              <th scope="col">{m.incident.name}</th>
              <th scope="col">{m.incident.relation}</th>
              <th scope="col">{m.incident.phone}</th>
            </tr>
          </thead>
          <tbody>
            {r.contacts.map((c, n) => (
              <tr key={c.id ?? n}>
                <td class="num">{c.priority ?? n + 1}</td>
                <th scope="row">{c.name}</th>
                <td>{label(m.labels.relation, c.relation)}</td>
                <td>
                  <a href={`tel:${c.phone}`}>{c.phone}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>{m.common.none}</p>
      )}
    </section>
  );
}
