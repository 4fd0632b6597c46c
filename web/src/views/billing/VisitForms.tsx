// SPEC W4, V1: billing books an onsite visit seeing its price before confirming (the price table's V1 prices,
// GET /plans), and passes on the payment link - copied, or e-mailed from the billing person's own mail.
import { useState } from "preact/hooks";
import { post } from "../../api";
import { Field } from "../../components/Field";
import { minorMoney, when } from "../../format";
import { localInput, instant } from "../desk/times";
import { BillingForm, Mistake } from "./BillingForm";
import type { BillingAccount, Prices, Visit } from "./model";

/** A payment link to pass on: shown whole, a button that copies it, and an e-mail to the customer with it. */
export function PaymentLink({ url, email, what }: { url: string; email: string; what: string }) {
  const [copied, setCopied] = useState("");
  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
      setCopied("Copied: paste it into a message to the customer.");
    } catch {
      (document.getElementById("payment-link") as HTMLInputElement | null)?.select();
      setCopied("Selected: press Ctrl+C (⌘C) to copy it.");
    }
  }
  const mail = `mailto:${encodeURIComponent(email)}?subject=${encodeURIComponent(`Payment for ${what}`)}&body=${encodeURIComponent(
    `Hello,\n\nplease pay for ${what} here: ${url}\n\nThank you.`,
  )}`;
  return (
    <div class="payment-link">
      <Field id="payment-link" label="Payment link">
        {(p) => <input {...p} type="url" readOnly value={url} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />}
      </Field>
      <div class="actions">
        <button type="button" id="copy-link" onClick={() => void copy()}>
          Copy the link
        </button>
        <a class="button secondary-link" href={mail} id="mail-link">
          E-mail it to {email}
        </a>
      </div>
      <p class="form-result ok" role="status" aria-live="polite">
        {copied}
      </p>
    </div>
  );
}

interface Pending {
  scheduled_at: string;
  opened_at: string | null;
  address: string;
  hours: number;
  key: string;
}

/** SPEC V1: the booking's price for whole hours, from the price table (index 0: one hour). */
export function visitPrice(prices: Prices, hours: number): number {
  return prices.visits.prices_minor[hours - 1];
}

export function BookVisit({ account, prices }: { account: BillingAccount; prices: Prices }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [hours, setHours] = useState(2); // kept across the page's reloads
  const currency = account.currency;
  const v = prices.visits;
  if (pending) {
    const price = minorMoney(visitPrice(prices, pending.hours), currency);
    return (
      <BillingForm
        key="confirm"
        id="confirm-visit-form"
        class="confirm"
        label={`Book for ${price}`}
        action={async () => {
          const visit = await post<Visit>(
            "/visits",
            {
              account_id: account.account_id,
              scheduled_at: pending.scheduled_at,
              address: pending.address,
              estimate_hours: pending.hours,
              ...(pending.opened_at ? { opened_at: pending.opened_at } : {}),
            },
            { "Idempotency-Key": pending.key },
          );
          window.location.hash = `#/billing/visits/${encodeURIComponent(visit.visit_id)}`;
          return "Booked.";
        }}
        extra={
          <button type="button" class="secondary" onClick={() => setPending(null)}>
            Change it
          </button>
        }
      >
        <p id="visit-price">
          {`${when(pending.scheduled_at)} at ${pending.address}: ${pending.hours} h onsite for ${price} — the base fee ${minorMoney(v.base_fee_minor, currency)} (the trip and the first hour)`}
          {pending.hours > 1 ? ` and ${pending.hours - 1} h more at ${minorMoney(v.additional_hour_rate_minor, currency)} an hour, rounded up to ${minorMoney(v.increment_minor, currency)} steps` : ""}
          {". Paid in money by the customer through the payment link; nothing comes off the hours balance. Hours not used are refunded when the visit is completed."}
        </p>
      </BillingForm>
    );
  }
  return (
    <BillingForm
      key="ask"
      id="book-visit-form"
      label="See the price"
      keep
      action={async (data) => {
        const at = instant(data.get("scheduled_at"));
        if (!at) throw new Mistake("When: enter the day and time the technician is due onsite.");
        setPending({ scheduled_at: at, opened_at: instant(data.get("opened_at")), address: String(data.get("address") || "").trim(), hours: Number(data.get("hours")), key: crypto.randomUUID() });
        return "";
      }}
    >
      <div class="row">
        <Field id="visit-when" label="When">
          {(p) => <input {...p} name="scheduled_at" type="datetime-local" required min={localInput(new Date())} />}
        </Field>
        <Field id="visit-hours" label="Hours onsite (estimate)">
          {(p) => (
            <select {...p} name="hours" value={String(hours)} onChange={(e) => setHours(Number((e.currentTarget as HTMLSelectElement).value))}>
              {v.prices_minor.map((minor, i) => (
                <option value={i + 1}>{`${i + 1} h — ${minorMoney(minor, currency)}`}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field id="visit-address" label="Address">
        {(p) => <input {...p} name="address" type="text" required maxLength={2000} autocomplete="off" />}
      </Field>
      <Field id="visit-agreed" label="Agreed (earlier, e.g. by phone)" help="Empty: now. Work on the visit is logged from then on.">
        {(p) => <input {...p} name="opened_at" type="datetime-local" max={localInput(new Date())} />}
      </Field>
    </BillingForm>
  );
}
