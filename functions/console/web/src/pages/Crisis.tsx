// Crisis households (복지사각지대 발굴): the latest scoring cycle's households sent to the
// worker's dong, with the reasons they were flagged and their follow-up, and the cycle's
// support-rate report.

import { useEffect, useState } from "preact/hooks";
import { ApiError, get, seg, withQuery } from "../api";
import { CaseCard } from "../components/CaseCard";
import { CsvLink } from "../components/CsvLink";
import { ErrorMessage, Loading } from "../components/ErrorMessage";
import { percent } from "../format";
import { useI18n } from "../i18n";
import { label } from "../messages";
import { dongName, useStaff } from "../staff";
import { DongSelect } from "../components/DongSelect";
import type { Case, CentreList, Cycle, SupportReport } from "../types";
import { useLoad } from "../useLoad";

interface Queue {
  list: CentreList | null;
  cases: Map<string, Case>;
  report: SupportReport | null;
}

/** The centre's list for a cycle (null when the cycle has not been scored), its cases, and the report. */
async function loadQueue(cycle: string, dong: string, signal: AbortSignal): Promise<Queue> {
  const optional = <T,>(p: Promise<T>) =>
    p.catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    });
  const [list, cases, report] = await Promise.all([
    optional(get<CentreList>(`/api/v1/scoring/cycles/${seg(cycle)}/centres/${seg(dong)}`, signal)),
    get<{ cases: Case[] }>(withQuery("/api/v1/cases", { cycle, dong }), signal)
      .then((r) => r.cases)
      .catch((e) => {
        if (e instanceof DOMException) throw e;
        return [] as Case[];
      }),
    optional(get<SupportReport>(`/api/v1/scoring/cycles/${seg(cycle)}/report`, signal)).catch((e) => {
      if (e instanceof DOMException) throw e;
      return null;
    }),
  ]);
  return { list, cases: new Map(cases.map((c) => [c.id, c])), report };
}

export function Crisis() {
  const { m } = useI18n();
  const { staff, centres } = useStaff();
  const [dong, setDong] = useState(staff.dong ?? "");
  const [cycle, setCycle] = useState("");
  const allowed = staff.role === "welfare-centre" || staff.role === "admin";

  const cycles = useLoad(
    (s) => (allowed ? get<{ cycles: Cycle[] }>("/api/v1/scoring/cycles", s).then((r) => r.cycles) : Promise.resolve([])),
    [allowed],
  );
  // The latest cycle first (the API lists them newest first).
  useEffect(() => {
    if (!cycle && cycles.data && cycles.data.length > 0) setCycle(cycles.data[0].id);
  }, [cycles.data]);

  const queue = useLoad(
    (s) => (cycle && dong ? loadQueue(cycle, dong, s) : Promise.resolve(null)),
    [cycle, dong],
  );

  if (!allowed) {
    return (
      <>
        <h1>{m.crisis.title}</h1>
        <p class="notice">{m.crisis.noDong}</p>
      </>
    );
  }
  const cycleName = cycles.data?.find((c) => c.id === cycle)?.name ?? cycle;

  return (
    <>
      <h1>{m.crisis.title}</h1>
      <p class="lead">{m.crisis.intro}</p>
      <ErrorMessage error={cycles.error} />
      {cycles.data && cycles.data.length === 0 ? <p class="empty">{m.crisis.noCycle}</p> : null}
      {cycles.data && cycles.data.length > 0 ? (
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label={m.board.filters}>
          <div class="field field-inline">
            <label for="crisis-cycle">{m.crisis.cycle("").trim()}</label>
            <select id="crisis-cycle" value={cycle} onChange={(e) => setCycle(e.currentTarget.value)}>
              {cycles.data.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
          {staff.dong ? null : (
            <DongSelect id="crisis-dong" value={dong} onChange={setDong} emptyLabel={m.enrol.choose} />
          )}
        </form>
      ) : null}

      {cycle && dong ? (
        <section aria-labelledby="crisis-list-h">
          <h2 id="crisis-list-h">
            {m.crisis.cycle(cycleName)} · {dongName(centres, dong)}
            {queue.data?.list ? <span class="small"> ({m.crisis.allocated(Number(queue.data.list.allocated) || 0)})</span> : null}
          </h2>
          <ErrorMessage error={queue.error} />
          {!queue.data ? (
            queue.error ? null : <Loading />
          ) : !queue.data.list ? (
            <p class="empty">{m.crisis.noRun}</p>
          ) : queue.data.list.households.length === 0 ? (
            <p class="empty" data-testid="cases-empty">
              {m.crisis.empty}
            </p>
          ) : (
            <div class="case-list">
              {queue.data.list.households.map((h) => (
                <CaseCard key={h.case_id} household={h} kase={queue.data!.cases.get(h.case_id)} onUpdated={queue.reload} />
              ))}
            </div>
          )}
        </section>
      ) : null}

      {queue.data?.report ? <Report report={queue.data.report} /> : null}
    </>
  );
}

const REPORT_STATUSES = ["new", "contacted", "supported", "linked", "not-eligible", "unreachable", "declined"];

function Report({ report }: { report: SupportReport }) {
  const { m } = useI18n();
  const { centres } = useStaff();
  const rows = [...report.centres.map((c) => ({ name: dongName(centres, c.dong), s: c }))];
  if (report.total) rows.push({ name: m.common.all, s: { ...report.total, dong: "" } });
  const header = [m.board.dong, m.crisis.cases, ...REPORT_STATUSES.map((s) => label(m.labels.caseStatus, s)), m.crisis.closed, m.crisis.supportRate];
  const data = rows.map(({ name, s }) => [
    name,
    s.cases,
    ...REPORT_STATUSES.map((st) => s.by_status[st] ?? 0),
    s.closed,
    percent(s.support_rate),
  ]);
  return (
    <section class="card" aria-labelledby="crisis-report-h" data-testid="support-report">
      <h2 id="crisis-report-h">
        {m.crisis.report} · {report.name}
      </h2>
      <p class="small">{m.crisis.definition}</p>
      <div class="table-wrap">
        <table class="data">
          <caption class="visually-hidden">{m.crisis.reportCaption}</caption>
          <thead>
            <tr>
              {header.map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.map((r) => (
              <tr key={String(r[0])}>
                <th scope="row">{r[0]}</th>
                {r.slice(1).map((v, i) => (
                  <td class="num" key={i}>
                    {v}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <CsvLink filename={`support-rate-${report.cycle}.csv`} header={header} rows={data} what={m.crisis.report} />
    </section>
  );
}
