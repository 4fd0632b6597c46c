// The usage chart (SPEC W1): per month, the hours used by work type (stacked) and the hours credited,
// as inline SVG (a chart library would be far more code than these bars). Colours come from portal.css
// classes; every bar has a <title>, and the same figures are in a table for screen readers and keyboards.
import { h } from "./dom.js";
import { WORK_TYPES, duration, monthName } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
// The green bar is every change that added hours (bought, credited back, adjusted), not only credit-backs.
const ADDED = { credited: "hours added (bought or credited)" };
const H = 240, PAD_L = 44, PAD_B = 28, PAD_T = 10;

// The SVG scales to its box, and its text with it: a 640-wide drawing on a 350 px phone shrank the 11 px axis
// labels to 6 px. So the drawing is about as wide as the screen gives it (up to 640), and text stays near 1:1.
function drawingWidth() {
  const box = document.documentElement.clientWidth - 40; // main's margins and padding on a phone
  return Math.max(320, Math.min(640, Math.round(box)));
}

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export function usageChart(months) {
  const titleId = "usage-chart-title";
  const W = drawingWidth();
  const used = (m) => WORK_TYPES.reduce((sum, t) => sum + (m.weighted_minutes_by_work_type[t] || 0), 0);
  const top = Math.max(60, ...months.map((m) => Math.max(used(m), m.credited_minutes)));
  const stepH = Math.max(1, Math.ceil(top / 60 / 4));
  const scaleTop = stepH * 4 * 60;
  const y = (minutes) => PAD_T + (H - PAD_T - PAD_B) * (1 - minutes / scaleTop);
  const slot = (W - PAD_L) / months.length;
  const bar = Math.max(4, slot * 0.32);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": titleId, class: "chart" },
                s("title", { id: titleId }, "Hours used by work type and hours added, by month"));
  for (let i = 0; i <= 4; i += 1) {
    const v = i * stepH * 60;
    svg.append(s("line", { x1: PAD_L, x2: W, y1: y(v), y2: y(v), class: "grid" }),
               s("text", { x: PAD_L - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" }, `${v / 60} h`));
  }
  months.forEach((m, i) => {
    const x = PAD_L + i * slot + slot * 0.12;
    let base = 0;
    for (const type of WORK_TYPES) {
      const v = m.weighted_minutes_by_work_type[type] || 0;
      if (!v) continue;
      svg.append(s("rect", { x, y: y(base + v), width: bar, height: y(base) - y(base + v), class: `bar ${type}` },
                   s("title", {}, `${monthName(m.month)}: ${type} ${duration(v)}`)));
      base += v;
    }
    if (m.credited_minutes) {
      svg.append(s("rect", { x: x + bar + 2, y: y(m.credited_minutes), width: bar,
                             height: y(0) - y(m.credited_minutes), class: "bar credited" },
                   s("title", {}, `${monthName(m.month)}: hours added ${duration(m.credited_minutes)}`)));
    }
    // Too narrow a slot for "Mar" beside "Apr" (a phone): every other month is named, the latest always.
    if ((months.length - 1 - i) % (slot < 32 ? 2 : 1) === 0) {
      svg.append(s("text", { x: x + bar, y: H - 8, class: "axis", "text-anchor": "middle" },
                   monthName(m.month).split(" ")[0]));
    }
  });
  const legend = h("ul", { class: "legend" },
                   [...WORK_TYPES, "credited"].map((t) => h("li", {}, h("span", { class: `swatch ${t}` }), ADDED[t] || t)));
  const table = h("table", { class: "usage-table" },
    h("caption", {}, "Usage by month"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Month"), WORK_TYPES.map((t) => h("th", { scope: "col" }, t)),
                     h("th", { scope: "col" }, "Billed"), h("th", { scope: "col" }, "Hours added"),
                     h("th", { scope: "col" }, "Balance at month end"))),
    h("tbody", {}, months.slice().reverse().map((m) => h("tr", {},
      h("th", { scope: "row" }, monthName(m.month)),
      WORK_TYPES.map((t) => h("td", {}, duration(m.weighted_minutes_by_work_type[t] || 0))),
      h("td", {}, duration(m.consumed_minutes)), h("td", {}, duration(m.credited_minutes)),
      h("td", {}, duration(m.closing_balance_minutes))))));
  return h("figure", { class: "usage" }, svg, legend, h("details", {}, h("summary", {}, "Usage as a table"), table));
}
