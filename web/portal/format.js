// How the portal writes times, money and dates for people (SPEC U1, U2).

// 70 -> "1 h 10 min", 45 -> "45 min", 120 -> "2 h", -90 -> "−1 h 30 min", 0 -> "0 min".
export function duration(minutes) {
  const m = Math.round(Number(minutes) || 0);
  const sign = m < 0 ? "−" : "";
  const abs = Math.abs(m);
  const h = Math.floor(abs / 60);
  const rest = abs % 60;
  if (h && rest) return `${sign}${h} h ${rest} min`;
  if (h) return `${sign}${h} h`;
  return `${sign}${rest} min`;
}

// {currency: "USD", amount_minor: 22500} -> "$225.00" (the currency says how many decimals it has).
export function money(price) {
  if (!price) return "";
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency: price.currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(price.amount_minor / Math.pow(10, digits));
}

export function minorMoney(amountMinor, currency) {
  return amountMinor == null ? "—" : money({ amount_minor: amountMinor, currency });
}

// An ISO time as the reader's local date and time, with the zone it is in: "Mon, Nov 16, 2026, 09:00 AM EST".
// The zone is named because statements (M3, the CSV) count days and months in the company's timezone, which
// the API does not give the page: a reader elsewhere sees which clock each time is on.
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric",
                                       hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
}

export function monthName(yyyymm) {
  const [y, m] = yyyymm.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, 15)).toLocaleString(undefined, { month: "short", year: "numeric",
                                                                        timeZone: "UTC" });
}

// The last n months, oldest first, ending with the current one: ["2025-12", ..., "2026-11"].
export function lastMonths(n, now = new Date()) {
  const out = [];
  for (let i = n - 1; i >= 0; i -= 1) {
    const d = new Date(now.getFullYear(), now.getMonth() - i, 1);
    out.push(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`);
  }
  return out;
}

export const WORK_TYPES = ["remote", "lab", "onsite", "travel"];
export const REASONS = { after_hours: "after hours", emergency: "emergency" };

export function reasonText(reasons) {
  return (reasons || []).map((r) => REASONS[r] || r.replace(/_/g, " ")).join(" and ");
}
