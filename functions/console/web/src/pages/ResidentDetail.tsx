// A resident's page: profile and monitoring status, devices (and registering one), caregivers,
// reminders, weekly adherence, recent check-ins, and the enrolment changes. Each part loads on
// its own, so one refusal (e.g. reminders) leaves the rest readable.

import { get, seg } from "../api";
import { ChartBlock } from "../components/ChartBlock";
import { DeviceRegister } from "../components/DeviceRegister";
import { ErrorMessage, Loading } from "../components/ErrorMessage";
import { ResidentLifecycle } from "../components/ResidentLifecycle";
import { ageFromBirthYear, formatDate, formatTime } from "../format";
import { useI18n } from "../i18n";
import { label } from "../messages";
import { href } from "../router";
import { canManageResidents, dongName, useStaff } from "../staff";
import type { Adherence, CheckIn, Resident, Schedule } from "../types";
import { useLoad } from "../useLoad";

export function ResidentDetail({ id }: { id: string }) {
  const { m, lang } = useI18n();
  const { staff, centres } = useStaff();
  const res = useLoad((s) => get<Resident>(`/api/v1/residents/${seg(id)}`, s), [id]);
  const schedules = useLoad(
    (s) => get<{ schedules: Schedule[] }>(`/api/v1/schedules?resident_id=${seg(id)}`, s).then((r) => r.schedules),
    [id],
  );
  const adherence = useLoad((s) => get<Adherence>(`/api/v1/adherence/${seg(id)}`, s), [id]);
  const checkins = useLoad(
    (s) => get<{ checkins: CheckIn[] }>(`/api/v1/checkins?resident_id=${seg(id)}&limit=20`, s).then((r) => r.checkins),
    [id],
  );

  const r = res.data;
  if (!r) {
    return (
      <>
        <p>
          <a href={href.residents}>← {m.resident.back}</a>
        </p>
        <h1>{m.residents.title}</h1>
        {res.error ? <ErrorMessage error={res.error} /> : <Loading />}
      </>
    );
  }
  const t = (iso: string | null | undefined) => (iso ? formatTime(iso, lang) : "—");
  const age = ageFromBirthYear(r.birth_year);
  const status = r.status ?? "active";
  const manage = canManageResidents(staff);

  return (
    <>
      <p>
        <a href={href.residents}>← {m.resident.back}</a>
      </p>
      <h1 data-testid="resident-name">{r.name}</h1>
      <p>
        <span class={`badge status-${status}`} data-testid="resident-status">
          {label(m.labels.residentStatus, status)}
        </span>{" "}
        {label(m.labels.eligibility, r.eligibility)} · {dongName(centres, r.dong)}
      </p>

      <div class="two-col">
        <section class="card" aria-labelledby="res-profile-h">
          <h2 id="res-profile-h">{m.resident.profile}</h2>
          <dl class="facts">
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
            <dt>{m.resident.inactivity}</dt>
            <dd>{m.resident.hours(Math.round((r.inactivity_threshold_minutes / 60) * 10) / 10)}</dd>
            <dt>{m.resident.lastActivity}</dt>
            <dd>{t(r.last_activity_at)}</dd>
            <dt>{m.resident.created}</dt>
            <dd>{formatDate(r.created_at)}</dd>
            {r.eligibility_until ? (
              <>
                <dt>{m.enrol.eligibilityUntil}</dt>
                <dd>{formatDate(r.eligibility_until)}</dd>
              </>
            ) : null}
            <dt>{m.resident.status}</dt>
            <dd>
              {label(m.labels.residentStatus, status)}
              {r.status_reason ? ` — ${r.status_reason}` : ""}
              {r.status_until ? ` (${m.resident.statusUntil} ${formatDate(r.status_until)})` : ""}
            </dd>
          </dl>
          {manage ? <ResidentLifecycle resident={r} onChanged={res.reload} /> : null}
        </section>

        <section class="card" aria-labelledby="res-contacts-h">
          <h2 id="res-contacts-h">{m.resident.contacts}</h2>
          {r.contacts.length === 0 ? (
            <p>{m.resident.noContacts}</p>
          ) : (
            <table class="data" data-testid="resident-contacts">
              <thead>
                <tr>
                  <th scope="col">{m.resident.col.priority}</th>
                  <th scope="col">{m.resident.col.name}</th>
                  <th scope="col">{m.resident.col.relation}</th>
                  <th scope="col">{m.resident.col.phone}</th>
                </tr>
              </thead>
              <tbody>
                {r.contacts.map((c, i) => (
                  <tr key={c.id ?? i}>
                    <td class="num">{c.priority ?? i + 1}</td>
                    <th scope="row">{c.name}</th>
                    <td>{label(m.labels.relation, c.relation)}</td>
                    <td>
                      <a href={`tel:${c.phone}`}>{c.phone}</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section class="card" aria-labelledby="res-devices-h" data-testid="resident-devices">
        <h2 id="res-devices-h">{m.resident.devices}</h2>
        {(r.devices ?? []).length === 0 ? (
          <p>{m.resident.noDevices}</p>
        ) : (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">{m.resident.col.kind}</th>
                  <th scope="col">{m.resident.col.id}</th>
                  <th scope="col">{m.resident.col.protocol}</th>
                  <th scope="col">{m.resident.col.lastSeen}</th>
                  <th scope="col">{m.resident.col.created}</th>
                </tr>
              </thead>
              <tbody>
                {(r.devices ?? []).map((d) => (
                  <tr key={d.id} data-testid="device-row">
                    <th scope="row">{label(m.labels.deviceKind, d.kind)}</th>
                    <td>
                      <code>{d.id}</code>
                    </td>
                    <td>{label(m.labels.protocol, d.protocol)}</td>
                    <td>{t(d.last_seen_at)}</td>
                    <td>{formatDate(d.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {manage && status !== "unenrolled" ? <DeviceRegister residentId={r.id} onRegistered={res.reload} /> : null}
      </section>

      <section class="card" aria-labelledby="res-sched-h" data-testid="resident-schedules">
        <h2 id="res-sched-h">{m.resident.schedules}</h2>
        {schedules.error ? (
          <ErrorMessage error={schedules.error} />
        ) : !schedules.data ? (
          <Loading />
        ) : schedules.data.length === 0 ? (
          <p>{m.resident.noSchedules}</p>
        ) : (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">{m.resident.col.scheduleKind}</th>
                  <th scope="col">{m.resident.col.text}</th>
                  <th scope="col">{m.resident.col.rule}</th>
                  <th scope="col">{m.resident.col.next}</th>
                  <th scope="col">{m.resident.col.active}</th>
                </tr>
              </thead>
              <tbody>
                {schedules.data.map((s) => (
                  <tr key={s.id}>
                    <th scope="row">
                      {label(m.labels.scheduleKind, s.kind)}
                      {s.medication_name ? ` · ${s.medication_name}${s.dose ? ` ${s.dose}` : ""}` : ""}
                    </th>
                    <td>{s.text}</td>
                    <td>
                      <code class="small">{s.rule}</code>
                    </td>
                    <td>{t(s.next_at)}</td>
                    <td>{s.active ? m.common.yes : m.common.no}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {adherence.error ? (
        <section class="card" aria-labelledby="res-adh-h">
          <h2 id="res-adh-h">{m.resident.adherence}</h2>
          <ErrorMessage error={adherence.error} />
        </section>
      ) : !adherence.data ? (
        <Loading />
      ) : (
        <ChartBlock
          id="adherence"
          title={m.resident.adherence}
          labelHeader={m.resident.col.week}
          bars={adherence.data.weeks.map((w) => ({ label: w.week, values: [w.taken, w.late, w.missed] }))}
          series={[
            { name: m.resident.col.taken, class: "bar-ok" },
            { name: m.resident.col.late, class: "bar-warn" },
            { name: m.resident.col.missed, class: "bar-bad" },
          ]}
          csvName={`adherence-${r.id}.csv`}
          note={adherence.data.weeks.length === 0 ? m.resident.adherenceNone : undefined}
        />
      )}

      <section class="card" aria-labelledby="res-checkins-h" data-testid="resident-checkins">
        <h2 id="res-checkins-h">{m.resident.checkins}</h2>
        {checkins.error ? (
          <ErrorMessage error={checkins.error} />
        ) : !checkins.data ? (
          <Loading />
        ) : checkins.data.length === 0 ? (
          <p>{m.resident.noCheckins}</p>
        ) : (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">{m.resident.col.answeredAt}</th>
                  <th scope="col">{m.resident.col.answer}</th>
                  <th scope="col">{m.resident.col.said}</th>
                  <th scope="col">{m.resident.col.crisis}</th>
                </tr>
              </thead>
              <tbody>
                {checkins.data.map((c) => (
                  <tr key={c.event_id} class={c.crisis ? "row-alert" : ""}>
                    <th scope="row">{t(c.answered_at)}</th>
                    <td>{label(m.labels.answer, c.answer)}</td>
                    <td>{c.said ?? ""}</td>
                    <td>
                      {c.crisis ? m.common.yes : m.common.no}
                      {c.incident_id ? (
                        <>
                          {" "}
                          <a href={href.incident(c.incident_id)}>{m.board.open}</a>
                        </>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
