// One figure as the statistics page shows it: a heading, the SVG chart, the same numbers in a
// table (the accessible record), and a CSV download of that table.

import type { ComponentChildren } from "preact";
import { BarChart, type Bar, type Series } from "./BarChart";
import { CsvLink } from "./CsvLink";
import { useI18n } from "../i18n";

interface Props {
  id: string;
  title: string;
  /** Header of the label column, e.g. "월". */
  labelHeader: string;
  bars: Bar[];
  series: Series[];
  horizontal?: boolean;
  csvName: string;
  note?: ComponentChildren;
  /** Formats a value in the table (e.g. percentages). */
  format?: (v: number) => string;
  /** A table with more than the charted numbers (e.g. median and 90th percentile). */
  table?: { header: string[]; rows: (string | number)[][] };
}

export function ChartBlock({ id, title, labelHeader, bars, series, horizontal, csvName, note, format, table }: Props) {
  const { m } = useI18n();
  const header = table?.header ?? [labelHeader, ...series.map((s) => s.name)];
  const rows = table?.rows ?? bars.map((b) => [b.label, ...b.values]);
  const show = (v: string | number) => (typeof v === "number" && format ? format(v) : String(v));
  return (
    <section class="card chart-block" aria-labelledby={`${id}-h`} data-testid={`chart-${id}`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {note ? <p class="small">{note}</p> : null}
      {bars.length === 0 ? (
        <p>{m.stats.empty}</p>
      ) : (
        <>
          <BarChart title={m.stats.chartOf(title)} bars={bars} series={series} horizontal={horizontal} />
          {series.length > 1 ? (
            <ul class="legend">
              {series.map((s) => (
                <li key={s.name}>
                  <span class={`swatch ${s.class}`} aria-hidden="true" /> {s.name}
                </li>
              ))}
            </ul>
          ) : null}
          <table class="data">
            <caption class="visually-hidden">{title}</caption>
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
              {rows.map(([label, ...values]) => (
                <tr key={String(label)}>
                  <th scope="row">{label}</th>
                  {values.map((v, i) => (
                    <td class="num" key={i}>
                      {show(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <CsvLink filename={csvName} header={header} rows={rows} what={title} />
        </>
      )}
    </section>
  );
}
