// The city's figures within the caller's scope: incidents by month, kind and outcome, 119
// transports (this year and by month), time to acknowledge by dong, devices online and offline,
// and medication adherence. Every chart has its numbers in a table and a CSV download.

import { useState } from "preact/hooks";
import { get, withQuery } from "../api";
import { ChartBlock } from "../components/ChartBlock";
import { ErrorMessage, Loading } from "../components/ErrorMessage";
import { currentYearKst, percent } from "../format";
import { useI18n } from "../i18n";
import { kindLabel, label } from "../messages";
import { dongName, useStaff } from "../staff";
import { DongSelect } from "../components/DongSelect";
import type { AdherenceSummary, IncidentStats, MonthStats } from "../types";
import { useLoad } from "../useLoad";

/** Every month from the first to the last given (at most the last 36), so gaps show as 0. */
export function monthRange(keys: string[]): string[] {
  const sorted = keys.filter((k) => /^\d{4}-\d{2}$/.test(k)).sort();
  if (sorted.length === 0) return [];
  let [y, mo] = sorted[0].split("-").map(Number);
  const last = sorted[sorted.length - 1];
  const out: string[] = [];
  for (;;) {
    const key = `${y}-${String(mo).padStart(2, "0")}`;
    out.push(key);
    if (key >= last) break;
    mo += 1;
    if (mo > 12) {
      mo = 1;
      y += 1;
    }
  }
  return out.slice(-36);
}

const EMPTY_MONTH: MonthStats = { total: 0, transported_by_119: 0, by_kind: {}, by_outcome: {} };
const byCount = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]);
/** Seconds as minutes with one decimal. */
const minutes = (s: number) => Math.round((s / 60) * 10) / 10;

export function Stats() {
  const { m } = useI18n();
  const { staff, centres } = useStaff();
  const [dong, setDong] = useState("");
  const stats = useLoad((s) => get<IncidentStats>(withQuery("/api/v1/incidents/stats", { dong }), s), [dong]);
  // Adherence is a care figure; a role that may not read reminders simply has no chart.
  const adherence = useLoad(
    (s) =>
      get<AdherenceSummary>(withQuery("/api/v1/adherence", { dong }), s).catch((e) => {
        if (e instanceof DOMException) throw e;
        return null;
      }),
    [dong],
  );

  const st = stats.data;
  const months = st ? monthRange(Object.keys(st.by_month)) : [];
  const month = (k: string) => st?.by_month[k] ?? EMPTY_MONTH;
  const year = String(currentYearKst());
  const transportedThisYear =
    st?.transported_by_119_this_year ??
    months.filter((k) => k.startsWith(`${year}-`)).reduce((a, k) => a + (month(k).transported_by_119 ?? 0), 0);
  const ack = Object.entries(st?.acknowledge_seconds_by_dong ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const adh = adherence.data;
  const adhTotal = adh ? adh.taken + adh.late + adh.missed : 0;
  const count = [{ name: m.stats.count, class: "bar-1" }];

  return (
    <>
      <h1>{m.stats.title}</h1>
      <p class="lead">{m.stats.intro}</p>
      {staff.dong ? null : (
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label={m.board.filters}>
          <DongSelect id="stats-dong" value={dong} onChange={setDong} emptyLabel={m.header.allDongs} />
        </form>
      )}
      <ErrorMessage error={stats.error} />
      {!st ? (
        stats.error ? null : <Loading />
      ) : (
        <>
          <ul class="tiles" data-testid="stats-tiles">
            <li class="tile">
              <span class="tile-label">{m.stats.total}</span>
              <span class="tile-value" data-testid="stat-total">
                {st.total}
              </span>
            </li>
            <li class="tile">
              <span class="tile-label">{m.stats.transportedYear}</span>
              <span class="tile-value" data-testid="stat-transported-year">
                {transportedThisYear}
              </span>
            </li>
            <li class="tile">
              <span class="tile-label">{m.stats.dispatchFailed}</span>
              <span class="tile-value">{st.dispatch_failed}</span>
            </li>
            {st.devices ? (
              <li class="tile">
                <span class="tile-label">{m.stats.devicesOffline}</span>
                <span class="tile-value" data-testid="stat-devices-offline">
                  {st.devices.offline}
                  <span class="tile-sub">
                    {" "}
                    / {st.devices.online + st.devices.offline}
                  </span>
                </span>
              </li>
            ) : null}
            {adh && adhTotal > 0 ? (
              <li class="tile">
                <span class="tile-label">{m.stats.adherenceRate}</span>
                <span class="tile-value">{percent((adh.taken + adh.late) / adhTotal)}</span>
              </li>
            ) : null}
          </ul>
          <div class="chart-grid">
            <ChartBlock
              id="by-month"
              title={m.stats.byMonth}
              labelHeader={m.stats.month}
              bars={months.map((k) => ({ label: k, values: [month(k).total] }))}
              series={count}
              csvName="incidents-by-month.csv"
            />
            <ChartBlock
              id="transport-by-month"
              title={m.stats.transportByMonth}
              labelHeader={m.stats.month}
              bars={months.map((k) => ({ label: k, values: [month(k).transported_by_119 ?? 0] }))}
              series={count}
              csvName="transports-by-month.csv"
              note={`${m.stats.transportedAll}: ${st.transported_by_119}`}
            />
            <ChartBlock
              id="by-kind"
              title={m.stats.byKind}
              labelHeader={m.stats.kind}
              bars={byCount(st.by_kind).map(([k, v]) => ({ label: kindLabel(m, k), values: [v] }))}
              series={count}
              horizontal
              csvName="incidents-by-kind.csv"
            />
            <ChartBlock
              id="by-outcome"
              title={m.stats.byOutcome}
              labelHeader={m.stats.outcome}
              bars={byCount(st.by_outcome).map(([k, v]) => ({ label: label(m.labels.outcome, k), values: [v] }))}
              series={count}
              horizontal
              csvName="incidents-by-outcome.csv"
            />
            {st.acknowledge_seconds_by_dong ? (
              <ChartBlock
                id="ack-time"
                title={m.stats.ackTime}
                labelHeader={m.stats.dong}
                bars={ack.map(([d, a]) => ({ label: dongName(centres, d), values: [minutes(a.median)] }))}
                series={[{ name: m.stats.median, class: "bar-2" }]}
                horizontal
                csvName="time-to-acknowledge.csv"
                note={m.stats.ackTimeNote}
                table={{
                  header: [m.stats.dong, m.stats.acknowledged, m.stats.median, m.stats.p90],
                  rows: ack.map(([d, a]) => [dongName(centres, d), a.acknowledged, minutes(a.median), minutes(a.p90)]),
                }}
              />
            ) : null}
            {st.devices ? (
              <ChartBlock
                id="devices"
                title={m.stats.devices}
                labelHeader={m.stats.status}
                bars={[
                  { label: m.stats.online, values: [st.devices.online] },
                  { label: m.stats.offline, values: [st.devices.offline] },
                ]}
                series={count}
                horizontal
                csvName="devices-online.csv"
                note={m.stats.devicesNote}
              />
            ) : null}
            {adh ? (
              <ChartBlock
                id="adherence"
                title={m.stats.adherence}
                labelHeader={m.stats.week}
                bars={adh.weeks.map((w) => ({ label: w.week, values: [w.taken, w.late, w.missed] }))}
                series={[
                  { name: m.resident.col.taken, class: "bar-ok" },
                  { name: m.resident.col.late, class: "bar-warn" },
                  { name: m.resident.col.missed, class: "bar-bad" },
                ]}
                csvName="adherence-by-week.csv"
                note={m.stats.adherenceNote}
              />
            ) : null}
          </div>
        </>
      )}
    </>
  );
}
