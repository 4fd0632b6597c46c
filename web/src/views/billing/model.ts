// The API's shapes billing's desk reads (API.md), as far as its pages read them, and the money a person types.
import type { Money } from "../../format";

export interface BillingAccount {
  account_id: string;
  name: string;
  email: string;
  plan: string;
  currency: string;
  timezone?: string | null;
  balance_minutes: number;
  available_minutes: number;
  plan_changes?: { plan: string; since: string }[];
  created_at?: string | null;
  flags: string[];
  auto_top_up: { enabled: boolean };
}

export interface PlanPrices {
  plan: string;
  title: string | null;
  prepay_rate_minor: number | null;
  postpay_rate_minor: number | null;
  monthly_fee_minor: number | null;
  included_minutes: number | null;
  work_types: string[];
}

export interface Prices {
  currency: string;
  plans: PlanPrices[];
  /** SPEC V1: index 0 is the price of a 1-hour visit (GET /plans). */
  visits: { base_fee_minor: number; additional_hour_rate_minor: number; increment_minor: number; max_hours: number; prices_minor: number[] };
}

export interface VisitOrder {
  order_id: string;
  kind: string;
  hours: number;
  status: string;
  price: Money;
  refunded: Money;
}

export interface Visit {
  visit_id: string;
  account_id: string;
  ticket_id: string;
  status: "awaiting_payment" | "confirmed" | "completed" | "cancelled";
  scheduled_at: string;
  address: string;
  estimate_hours: number;
  booked_hours: number;
  prepaid_hours: number;
  used_hours: number;
  onsite_hours: string;
  unused_hours: number;
  base_fee: Money;
  additional_hour_rate: Money;
  price: Money;
  paid: Money;
  refund_due: Money;
  refunded: Money;
  unused_hours_policy: string;
  orders: VisitOrder[];
  refunds: { refund_id: string; order_id: string; amount: Money; at: string }[];
  created_at: string;
  expires_at?: string | null;
  completed_at?: string | null;
  cancelled_at?: string | null;
  cancel_reason?: string | null;
  checkout_url?: string | null;
}

export interface Review {
  review_id: string;
  at: string;
  reason: string;
  event_type?: string | null;
  order_id?: string | null;
  account_id?: string | null;
  amount?: Money | null;
  status: "open" | "resolved";
  resolution?: { at?: string | null; note?: string | null; minutes?: number | null } | null;
}

/** "400" or "400.5" in `currency` -> minor units (40000); null when it is not an amount. */
export function toMinor(text: string, currency: string): number | null {
  const clean = text.trim().replace(/[,\s]/g, "").replace(/^[^\d.-]+/, "");
  if (!/^\d+(\.\d+)?$/.test(clean)) return null;
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const [whole, part = ""] = clean.split(".");
  if (part.length > digits) return null;
  return Number(whole) * Math.pow(10, digits) + Number((part + "0".repeat(digits)).slice(0, digits) || 0);
}

export interface Payment {
  payment_id: string;
  at: string;
  kind: "order" | "visit" | "extension" | "invoice" | "phone";
  description?: string | null;
  amount: Money;
  refunded: Money;
  minutes?: number | null;
  status: "paid" | "refunded" | "partially_refunded" | "disputed";
  receipt_url?: string | null;
  visit_id?: string | null;
}

export interface Agreement {
  agreement_id: string;
  hours_per_month: string;
  rate: Money;
  monthly_price: Money;
  started_at: string;
  term_ends_at?: string | null;
  next_charge_at?: string | null;
  status: "active" | "ending" | "ended";
  ended_at?: string | null;
  end_reason?: string | null;
}

export interface DisputeItem {
  ticket_id: string;
  entry_id: string;
  account_id: string;
  account_name?: string | null;
  ticket_title?: string | null;
  minutes?: number | null;
  raised_at: string;
  raised_by_role?: string | null;
  raised_by_name?: string | null;
  reason: string;
  status: "open" | "upheld" | "rejected";
  resolved_at?: string | null;
  resolved_by_name?: string | null;
  credited_minutes?: number | null;
}

export interface MonthEnd {
  month: string;
  status: "not_run" | "running" | "done" | "failed";
  started_at?: string | null;
  accounts: { planned: number | null; closed: number; failed: number };
  invoices: { kind: string; count: number; total: Money }[];
  failures: { account_id: string; account_name?: string | null; reason: string; at?: string | null }[];
}
