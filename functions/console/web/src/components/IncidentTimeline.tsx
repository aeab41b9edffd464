// Everything that happened to an incident, as the API records it: the log (who did what),
// the device signals, the notifications with their delivery state and attempts, and the
// escalation ladder with its deadlines.

import { useI18n } from "../i18n";
import { kindLabel, label } from "../messages";
import { formatTime } from "../format";
import type { IncidentDetail } from "../types";

export function IncidentTimeline({ detail }: { detail: IncidentDetail }) {
  const { m, lang } = useI18n();
  const c = m.incident.col;
  const t = (iso: string | null) => (iso ? <time dateTime={iso}>{formatTime(iso, lang)}</time> : "—");
  const action = (a: string) => label(m.labels.action, a);
  return (
    <>
      <section class="card" aria-labelledby="tl-log-h" data-testid="incident-log">
        <h2 id="tl-log-h">{m.incident.timeline}</h2>
        <div class="table-wrap">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">{c.at}</th>
                <th scope="col">{c.action}</th>
                <th scope="col">{c.actor}</th>
                <th scope="col">{c.note}</th>
              </tr>
            </thead>
            <tbody>
              {detail.timeline.map((e, i) => (
                <tr key={i} data-action={e.action}>
                  <td>{t(e.at)}</td>
                  <th scope="row">{action(e.action)}</th>
                  <td>{e.actor}</td>
                  <td class="pre">{e.note ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section class="card" aria-labelledby="tl-ladder-h" data-testid="incident-ladder">
        <h2 id="tl-ladder-h">{m.incident.ladder}</h2>
        {detail.escalation.length === 0 ? (
          <p>{m.common.none}</p>
        ) : (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">{c.step}</th>
                  <th scope="col">{c.channel}</th>
                  <th scope="col">{c.target}</th>
                  <th scope="col">{c.due}</th>
                  <th scope="col">{c.state}</th>
                  <th scope="col">{c.fired}</th>
                </tr>
              </thead>
              <tbody>
                {detail.escalation.map((s) => (
                  <tr key={s.step}>
                    <th scope="row">{s.step}</th>
                    <td>{label(m.labels.channel, s.channel)}</td>
                    <td>{s.target}</td>
                    <td>{t(s.due_at)}</td>
                    <td>{label(m.labels.ladder, s.state)}</td>
                    <td>{t(s.fired_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card" aria-labelledby="tl-notif-h" data-testid="incident-notifications">
        <h2 id="tl-notif-h">{m.incident.notifications}</h2>
        {detail.notifications.length === 0 ? (
          <p>{m.common.none}</p>
        ) : (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">{c.step}</th>
                  <th scope="col">{c.channel}</th>
                  <th scope="col">{c.target}</th>
                  <th scope="col">{c.state}</th>
                  <th scope="col">{c.attempts}</th>
                  <th scope="col">{c.delivered}</th>
                  <th scope="col">{c.lastError}</th>
                </tr>
              </thead>
              <tbody>
                {detail.notifications.map((n) => (
                  <tr key={n.idempotency_key}>
                    <td>{n.step}</td>
                    <th scope="row">{label(m.labels.channel, n.channel)}</th>
                    <td>{n.target}</td>
                    <td>{label(m.labels.delivery, n.state)}</td>
                    <td class="num">{n.attempts}</td>
                    <td>{t(n.delivered_at)}</td>
                    <td class="small">{n.last_error ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card" aria-labelledby="tl-events-h" data-testid="incident-events">
        <h2 id="tl-events-h">{m.incident.events}</h2>
        {detail.events.length === 0 ? (
          <p>{m.common.none}</p>
        ) : (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">{c.kind}</th>
                  <th scope="col">{c.device}</th>
                  <th scope="col">{c.occurred}</th>
                  <th scope="col">{c.received}</th>
                  <th scope="col">{c.event}</th>
                </tr>
              </thead>
              <tbody>
                {detail.events.map((e) => (
                  <tr key={e.event_id}>
                    <th scope="row">{kindLabel(m, e.kind)}</th>
                    <td>{e.device_id}</td>
                    <td>{t(e.occurred_at)}</td>
                    <td>{t(e.received_at)}</td>
                    <td class="small">{e.event_id}</td>
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
