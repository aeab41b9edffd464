// A plain SVG bar chart (one series, or several stacked), drawn by Preact: no chart library,
// nothing the CSP would refuse. The numbers are always also in a table beside it (ChartBlock),
// so the picture is decoration for the eye and the table the record for everyone.

export interface Series {
  name: string;
  /** CSS class giving the bars their colour (`bar-1` … `bar-4`). */
  class: string;
}

export interface Bar {
  label: string;
  values: number[];
}

interface Props {
  title: string;
  bars: Bar[];
  series: Series[];
  /** Horizontal bars suit long category names; vertical ones suit months and weeks. */
  horizontal?: boolean;
}

const W = 640;

export function BarChart({ title, bars, series, horizontal }: Props) {
  const totals = bars.map((b) => b.values.reduce((a, v) => a + Math.max(0, v), 0));
  const max = Math.max(1, ...totals);
  const titleId = `chart-${title.replace(/[^\p{L}\p{N}]+/gu, "-")}`;
  return horizontal ? (
    <Horizontal {...{ title, titleId, bars, series, max }} />
  ) : (
    <Vertical {...{ title, titleId, bars, series, max }} />
  );
}

interface Inner {
  title: string;
  titleId: string;
  bars: Bar[];
  series: Series[];
  max: number;
}

function Horizontal({ title, titleId, bars, series, max }: Inner) {
  const row = 28;
  const labelW = 200;
  const plotW = W - labelW - 60;
  const h = Math.max(row, bars.length * row) + 8;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-labelledby={titleId}>
      <title id={titleId}>{title}</title>
      {bars.map((b, i) => {
        let x = labelW;
        const y = 4 + i * row;
        const total = b.values.reduce((a, v) => a + v, 0);
        return (
          <g key={b.label}>
            <text class="chart-label" x={labelW - 8} y={y + row / 2 + 4} text-anchor="end">
              {b.label}
            </text>
            {b.values.map((v, s) => {
              const w = (Math.max(0, v) / max) * plotW;
              const rect = <rect key={s} class={series[s]?.class ?? "bar-1"} x={x} y={y + 4} width={w} height={row - 10} />;
              x += w;
              return rect;
            })}
            <text class="chart-value" x={x + 6} y={y + row / 2 + 4}>
              {fmt(total)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Vertical({ title, titleId, bars, series, max }: Inner) {
  const h = 240;
  const top = 20;
  const bottom = 40;
  const left = 8;
  const plotH = h - top - bottom;
  const slot = (W - left * 2) / Math.max(1, bars.length);
  const barW = Math.min(56, slot * 0.7);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-labelledby={titleId}>
      <title id={titleId}>{title}</title>
      <line class="chart-axis" x1={left} x2={W - left} y1={top + plotH} y2={top + plotH} />
      {bars.map((b, i) => {
        const cx = left + slot * i + slot / 2;
        let y = top + plotH;
        const total = b.values.reduce((a, v) => a + v, 0);
        return (
          <g key={b.label}>
            {b.values.map((v, s) => {
              const bh = (Math.max(0, v) / max) * plotH;
              y -= bh;
              return <rect key={s} class={series[s]?.class ?? "bar-1"} x={cx - barW / 2} y={y} width={barW} height={bh} />;
            })}
            <text class="chart-value" x={cx} y={y - 4} text-anchor="middle">
              {fmt(total)}
            </text>
            <text class="chart-label" x={cx} y={h - bottom + 18} text-anchor="middle">
              {b.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
