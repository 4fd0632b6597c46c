// The API's shapes the pages read (API.md), as far as the pages read them.
import type { Money } from "./format";

export interface Quote {
  hours: number;
  kind: "one_time" | "recurring";
  price: Money;
  discount?: Money | null;
}

export interface OrderCreated {
  order_id: string;
  checkout_url: string;
  price: Money;
  credits_existing_account?: boolean;
  message?: string;
}

export interface Order {
  order_id: string;
  status: string;
  title?: string;
  visit_id?: string | null;
  account_id?: string;
  new_account?: boolean;
  credits_existing_account?: boolean;
  credited_minutes?: number;
  balance_hours?: number;
}

export interface Plan {
  plan: string;
  title: string;
  prepay_rate_minor: number | null;
  recurring_rate_minor: number | null;
  postpay_rate_minor: number | null;
  monthly_fee_minor: number | null;
  included_minutes?: number | null;
  fair_use_remote_minutes_per_day?: number | null;
  onsite_minimum_minutes?: number | null;
}

export interface PlanTable {
  currency: string;
  plans: Plan[];
  bulk_discount: { percent: number; min_minutes: number };
  credit_minutes: number;
  credits_expire: boolean;
  order_hours: { min: number; max: number };
}

export interface Account {
  account_id: string;
  name: string;
  email: string;
  plan: string;
  balance_minutes: number;
  available_minutes: number;
  committed_minutes: number;
  notify_low_balance: boolean;
  flags: string[];
  auto_top_up: {
    enabled: boolean;
    threshold_minutes: number;
    amount_minutes: number;
    pending_invoice_id?: string | null;
    paused_until?: number | null;
  };
  mail_problem?: MailProblem | null; // SPEC N1: SES reported the address bouncing or complaining
}

/** SPEC N1: a bounce or complaint SES reported for one of the account's addresses. */
export interface MailProblem {
  kind: "bounce" | "transient_bounce" | "complaint";
  at: string;
  address: string;
  detail?: string | null;
}

/** SPEC N1, GET/PUT /accounts/{id}/notifications: the mails a customer chose (awaiting credit and payment links always go). */
export interface Notifications {
  ticket_updates: boolean;
  receipts: boolean;
  statements: boolean;
}

export interface Page<T> {
  items: T[];
  cursor?: string | null;
}

export interface TicketSummary {
  ticket_id: string;
  account_id: string;
  account_name?: string | null;
  title: string;
  status: string;
  priority: string;
  opened_at: string;
  consumed_minutes?: number | null;
  projected_consumption_minutes?: number | null;
  weighted_minutes?: number;
  response_due_at?: string | null;
  sla_status?: SlaStatus | null;
  waiting?: boolean;
  /** Who opened it (a staff sub), where the API says so: the desk's "mine". */
  opened_by?: string | null;
  reference?: string | null;
}

export type SlaStatus = "pending" | "met" | "breached" | "paused";

export interface Dispute {
  status: "open" | "upheld" | "rejected";
  reason: string;
  raised_at: string;
  raised_by?: string | null;
  raised_by_role?: "customer" | "staff" | null;
  resolved_at?: string | null;
  resolution_note?: string | null;
  credited_minutes?: number | null;
}

export interface Segment {
  minutes: number;
  multiplier: number;
  reasons: string[];
}

export interface Entry {
  entry_id: string;
  started_at: string;
  minutes: number;
  work_type: string;
  segments: Segment[];
  weighted_minutes: number;
  note: string;
  technician: string;
  technician_name?: string | null;
  dispute?: Dispute | null;
  /** SPEC T9: a voided entry stays on the ticket and counts for nothing. */
  voided?: { at: string; by_name?: string | null; by?: string | null; reason: string } | null;
}

/** POST /tickets/{id}/time-entries: the entry as rated (SPEC T1-T4). */
export interface RatedEntry {
  entry_id: string;
  minutes?: number;
  work_type?: string;
  weighted_minutes: number;
  segments: (Segment & { started_at: string })[];
}

/** POST /tickets/{id}/close (SPEC C1-C3). */
export interface CloseResult {
  ticket_id: string;
  status: "closed" | "awaiting_credit";
  consumed_minutes: number;
  debited_minutes: number;
  postpay_minutes: number;
  balance_minutes: number;
}

/** A timer running on a ticket (SPEC W3), kept by the service where it has one. */
export interface RunningTimer {
  started_at: string;
  by?: string | null;
  by_name?: string | null;
}

export interface CreditBack {
  at: string;
  minutes: number;
  reason: string;
  postpay_reduced_minutes?: number;
  balance_credited_minutes?: number;
}

export interface Ticket extends TicketSummary {
  closed_at?: string | null;
  emergency?: boolean;
  waiting?: boolean;
  visit_id?: string | null;
  weighted_minutes: number;
  debited_minutes?: number;
  postpay_minutes?: number;
  postpay_credited_back_minutes?: number;
  credited_back_minutes?: number;
  credit_backs?: CreditBack[];
  first_response_at?: string | null;
  entries?: Entry[];
  description?: string | null;
  opened_by_name?: string | null;
  emergency_changes?: { at: string; active: boolean; by?: string | null; by_name?: string | null }[];
  voided_entries?: number;
  timer?: RunningTimer | null;
}

export interface UsageMonth {
  month: string;
  weighted_minutes_by_work_type: Record<string, number>;
  consumed_minutes: number;
  credited_minutes: number;
  closing_balance_minutes: number;
}

export interface Statement {
  currency: string;
  opening_balance_minutes: number;
  consumption_minutes: number;
  postpay_minutes: number;
  closing_balance_minutes: number;
  charges_total: Money;
  ledger: { at: string; kind: string; minutes: number; note?: string | null }[];
  tickets: { ticket_id: string; title?: string; consumed_minutes: number; entries: unknown[] }[];
  charges: { description: string; amount_minor: number }[];
  visits?: { at: string; kind: string; amount: Money; description: string }[];
}

export interface Invoice {
  invoice_id: string;
  created_at: string;
  description: string;
  price: Money;
  status: string;
  payment_url?: string | null;
}

export interface AccountSummary {
  account_id: string;
  name: string;
  email: string;
  plan: string;
  balance_minutes: number;
}

export interface LedgerEntry {
  minutes: number;
  balance_after: number;
}

/** A person who signs in to an account (SPEC W1): the owner (the account's own address) first. */
export interface Contact {
  contact_id: string;
  name: string;
  email: string;
  owner: boolean;
  invited_at: string | null;
  signed_in_at?: string | null;
}

// -- issue 24: payments, visits and recurring agreements (SPEC W1, O6, V1) --------------------------------

export interface Payment {
  payment_id: string;
  at: string;
  kind: "order" | "visit" | "extension" | "invoice" | "phone";
  description: string | null;
  amount: Money;
  refunded: Money;
  minutes: number | null;
  hours: string | null;
  status: "paid" | "refunded" | "partially_refunded" | "disputed";
  receipt_url: string | null;
  order_id: string | null;
  invoice_id: string | null;
  visit_id: string | null;
}

export interface AccountVisit {
  visit_id: string;
  ticket_id: string;
  status: "awaiting_payment" | "confirmed" | "completed" | "cancelled";
  scheduled_at: string;
  address: string;
  prepaid_hours: number;
  used_hours: number;
  unused_hours: number;
  price: Money;
  paid: Money;
  refunded: Money;
  refund_due: Money;
  unused_hours_policy: string;
  cancel_reason: string | null;
  completed_at: string | null;
  checkout_url?: string | null;
}

export interface Agreement {
  agreement_id: string;
  account_id: string;
  kind: "recurring";
  hours_per_month: string;
  minutes_per_month: number;
  rate: Money;
  monthly_price: Money;
  started_at: string;
  term_ends_at: string | null;
  next_charge_at: string | null;
  status: "active" | "ending" | "ended";
  ended_at: string | null;
  end_reason: string | null;
}

/** SPEC W5: one message of a ticket's conversation (GET/POST /tickets/{id}/messages). */
export interface Message {
  message_id: string;
  ticket_id: string;
  at: string;
  author: { role: "customer" | "technician" | "billing" | "system"; name: string };
  visibility: "public" | "internal";
  via: "portal" | "email" | "staff";
  text: string;
}

/** SPEC E1 (GET /inbox): a received mail and what became of it. Its text is text, never HTML. */
export interface InboxItem {
  mail_id: string;
  received_at: string;
  from: string | null;
  from_name: string | null;
  subject: string;
  status: "unmatched" | "ticket" | "message" | "refused" | "processing";
  reason: string | null;
  ticket_id: string | null;
  reference: string | null;
  account_id: string | null;
  text: string | null;
  attachments: { name: string; content_type: string; size: number; kept: boolean; why: string | null }[];
  assigned_by_name: string | null;
  assigned_at: string | null;
}
