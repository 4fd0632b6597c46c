// The usage chart (SPEC W1): per month, the hours used by work type (stacked) and the hours added, as inline
// SVG (a chart library would be far more code than these bars). Colours come from portal.css classes; every
// bar has a <title>, and the same figures are in a table for screen readers and keyboards.
import { WORK_TYPES, duration, monthName } from "../format";
import type { UsageMonth } from "../types";

// The green bar is every change that added hours (bought, credited back, adjusted), not only credit-backs.
const ADDED: Record<string, string> = { credited: "hours added (bought or credited)" };
const H = 240;
const PAD_L = 44;
const PAD_B = 28;
const PAD_T = 10;

// The SVG scales to its box, and its text with it: a 640-wide drawing on a 350 px phone shrank the 11 px axis
// labels to 6 px. So the drawing is about as wide as the screen gives it (up to 640), and text stays near 1:1.
function drawingWidth(): number {
  const box = document.documentElement.clientWidth - 40; // main's margins and padding on a phone
  return Math.max(320, Math.min(640, Math.round(box)));
}

export function UsageChart({ months }: { months: UsageMonth[] }) {
  const W = drawingWidth();
  const used = (m: UsageMonth) => WORK_TYPES.reduce((sum, t) => sum + (m.weighted_minutes_by_work_type[t] || 0), 0);
  const top = Math.max(60, ...months.map((m) => Math.max(used(m), m.credited_minutes)));
  const stepH = Math.max(1, Math.ceil(top / 60 / 4));
  const scaleTop = stepH * 4 * 60;
  const y = (minutes: number) => PAD_T + (H - PAD_T - PAD_B) * (1 - minutes / scaleTop);
  const slot = (W - PAD_L) / months.length;
  const bar = Math.max(4, slot * 0.32);
  const grid = [0, 1, 2, 3, 4].map((i) => i * stepH * 60);
  return (
    <figure class="usage">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="usage-chart-title" class="chart">
        <title id="usage-chart-title">Hours used by work type and hours added, by month</title>
        {grid.map((v) => (
          <>
            <line x1={PAD_L} x2={W} y1={y(v)} y2={y(v)} class="grid" />
            <text x={PAD_L - 6} y={y(v) + 4} class="axis" text-anchor="end">
              {`${v / 60} h`}
            </text>
          </>
        ))}
        {months.map((m, i) => {
          const x = PAD_L + i * slot + slot * 0.12;
          let base = 0;
          const bars = WORK_TYPES.filter((t) => m.weighted_minutes_by_work_type[t]).map((type) => {
            const v = m.weighted_minutes_by_work_type[type];
            const rect = (
              <rect x={x} y={y(base + v)} width={bar} height={y(base) - y(base + v)} class={`bar ${type}`}>
                <title>{`${monthName(m.month)}: ${type} ${duration(v)}`}</title>
              </rect>
            );
            base += v;
            return rect;
          });
          // Too narrow a slot for "Mar" beside "Apr" (a phone): every other month is named, the latest always.
          const named = (months.length - 1 - i) % (slot < 32 ? 2 : 1) === 0;
          return (
            <g key={m.month}>
              {bars}
              {m.credited_minutes ? (
                <rect
                  x={x + bar + 2}
                  y={y(m.credited_minutes)}
                  width={bar}
                  height={y(0) - y(m.credited_minutes)}
                  class="bar credited"
                >
                  <title>{`${monthName(m.month)}: hours added ${duration(m.credited_minutes)}`}</title>
                </rect>
              ) : null}
              {named ? (
                <text x={x + bar} y={H - 8} class="axis" text-anchor="middle">
                  {monthName(m.month).split(" ")[0]}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <ul class="legend">
        {[...WORK_TYPES, "credited"].map((t) => (
          <li>
            <span class={`swatch ${t}`} />
            {ADDED[t] || t}
          </li>
        ))}
      </ul>
      <details>
        <summary>Usage as a table</summary>
        <table class="usage-table">
          <caption>Usage by month</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              {WORK_TYPES.map((t) => (
                <th scope="col">{t}</th>
              ))}
              <th scope="col">Billed</th>
              <th scope="col">Hours added</th>
              <th scope="col">Balance at month end</th>
            </tr>
          </thead>
          <tbody>
            {months
              .slice()
              .reverse()
              .map((m) => (
                <tr>
                  <th scope="row">{monthName(m.month)}</th>
                  {WORK_TYPES.map((t) => (
                    <td>{duration(m.weighted_minutes_by_work_type[t] || 0)}</td>
                  ))}
                  <td>{duration(m.consumed_minutes)}</td>
                  <td>{duration(m.credited_minutes)}</td>
                  <td>{duration(m.closing_balance_minutes)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
