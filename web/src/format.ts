// How every page writes money, durations, times and names for people (STYLE 16; SPEC U1, U2): the same
// words everywhere - "$400.00", "1 h 30 min", "Mon, Nov 16, 2026, 09:00 AM EST", "Riverside Clinic".

export interface Money {
  currency: string;
  amount_minor: number;
}

/** {currency: "USD", amount_minor: 40000} -> "$400.00": integer minor units, the currency says its decimals. */
export function money(price: Money | null | undefined): string {
  if (!price) return "";
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency: price.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(price.amount_minor / Math.pow(10, digits));
}

export function minorMoney(amountMinor: number | null | undefined, currency: string): string {
  return amountMinor == null ? "—" : money({ amount_minor: amountMinor, currency });
}

/** 90 -> "1 h 30 min", 45 -> "45 min", 120 -> "2 h", -90 -> "−1 h 30 min", 0 -> "0 min". */
export function duration(minutes: number | null | undefined): string {
  const m = Math.round(Number(minutes) || 0);
  const sign = m < 0 ? "−" : "";
  const abs = Math.abs(m);
  const h = Math.floor(abs / 60);
  const rest = abs % 60;
  if (h && rest) return `${sign}${h} h ${rest} min`;
  if (h) return `${sign}${h} h`;
  return `${sign}${rest} min`;
}

/** Hours as a decimal for an order (SPEC U1): 150 -> "2.5", 600 -> "10". */
export function hours(minutes: number): string {
  return String(Math.round((minutes / 60) * 1000) / 1000);
}

/**
 * An ISO time in the reader's zone, naming the zone: "Mon, Nov 16, 2026, 09:00 AM EST". Statements count
 * days and months in the company's timezone, which the API does not give the page: a reader elsewhere sees
 * which clock each time is on.
 */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
}

/** "2026-11" -> "Nov 2026". */
export function monthName(yyyymm: string): string {
  const [y, m] = yyyymm.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, 15)).toLocaleString(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
}

/** The last n months, oldest first, ending with the current one: ["2025-12", ..., "2026-11"]. */
export function lastMonths(n: number, now: Date = new Date()): string[] {
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i -= 1) {
    const d = new Date(now.getFullYear(), now.getMonth() - i, 1);
    out.push(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`);
  }
  return out;
}

/** An API word for people: "awaiting_credit" -> "awaiting credit", "non_member" -> "non member". */
export function words(value: string): string {
  return value.replace(/_/g, " ");
}

/** A person as the page names them: their name, else their e-mail, else what they are. */
export function personName(person: { name?: string | null; email?: string | null }, fallback = "someone"): string {
  return (person.name || "").trim() || (person.email || "").trim() || fallback;
}

export const WORK_TYPES = ["remote", "lab", "onsite", "travel"] as const;
export type WorkType = (typeof WORK_TYPES)[number];

const REASONS: Record<string, string> = { after_hours: "after hours", emergency: "emergency" };

/** Why a multiplier applies: ["after_hours"] -> "after hours". */
export function reasonText(reasons: string[] | null | undefined): string {
  return (reasons || []).map((r) => REASONS[r] || words(r)).join(" and ");
}
