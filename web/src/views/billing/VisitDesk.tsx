// SPEC W4, V1: one onsite visit on billing's desk - its state in words, what was paid and refunded, the payment
// link to pass on, more hours (priced before ordering), cancel, and how it completes.
import { useState } from "preact/hooks";
import { get, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { minorMoney, money, when } from "../../format";
import { useData, useReload } from "../portal/data";
import { Failure, Loading } from "../portal/Failure";
import { BillingForm } from "./BillingForm";
import type { BillingAccount, Prices, Visit } from "./model";
import { PaymentLink, visitPrice } from "./VisitForms";

async function load(visitId: string) {
  const visit = await get<Visit>(`/visits/${seg(visitId)}`);
  const [account, prices] = await Promise.all([get<BillingAccount>(`/accounts/${seg(visit.account_id)}`), get<Prices>("/plans")]);
  return { visit, account, prices };
}

/** The visit's state in a sentence. */
export function visitState(v: Visit): string {
  switch (v.status) {
    case "awaiting_payment":
      return `Waiting for the customer to pay ${money(v.price)}${v.expires_at ? `; unpaid, it is removed ${when(v.expires_at)}` : ""}.`;
    case "confirmed":
      return `Paid and confirmed: ${v.prepaid_hours} h onsite paid for${v.used_hours ? `, ${v.used_hours} h used so far` : ""}.`;
    case "completed":
      return `Completed ${when(v.completed_at)}: ${v.used_hours || 1} h used of ${v.prepaid_hours} h paid for; ${money(v.refund_due)} due back for hours not used.`;
    case "cancelled":
      return `Cancelled ${when(v.cancelled_at)}${v.cancel_reason ? ` (“${v.cancel_reason}”)` : ""}; ${money(v.refund_due)} due back.`;
  }
  return v.status;
}

/** What the visit costs in all: its booking and the extensions ordered (not those cancelled), and its terms. */
function priceText(v: Visit): string {
  const orders = v.orders.filter((o) => o.status !== "cancelled");
  const total = orders.reduce((sum, o) => sum + o.price.amount_minor, 0);
  const terms = `base fee ${money(v.base_fee)}, then ${money(v.additional_hour_rate)} an hour`;
  return `${minorMoney(total, v.price.currency)} for ${v.booked_hours} h (${terms})`;
}

const ORDER_WORDS: Record<string, string> = { visit: "Booking", visit_extension: "More hours" };

function Orders({ visit }: { visit: Visit }) {
  return (
    <table id="visit-orders" class="queue">
      <caption>Payments of this visit</caption>
      <thead>
        <tr>
          <th scope="col">For</th>
          <th scope="col">Price</th>
          <th scope="col">State</th>
          <th scope="col">Refunded</th>
        </tr>
      </thead>
      <tbody>
        {visit.orders.map((o) => (
          <tr key={o.order_id}>
            <td data-label="For">{`${ORDER_WORDS[o.kind] || o.kind}: ${o.hours} h`}</td>
            <td data-label="Price">{money(o.price)}</td>
            <td data-label="State">{o.status === "pending" ? "not paid yet" : o.status}</td>
            <td data-label="Refunded">{o.refunded.amount_minor ? money(o.refunded) : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Extend({ visit, account, prices }: { visit: Visit; account: BillingAccount; prices: Prices }) {
  const reload = useReload();
  const [link, setLink] = useState<{ url: string; what: string } | null>(null);
  const [hours, setHours] = useState(1);
  const left = prices.visits.max_hours - visit.booked_hours;
  const standard = visit.base_fee.amount_minor === prices.visits.base_fee_minor && visit.additional_hour_rate.amount_minor === prices.visits.additional_hour_rate_minor;
  const price = (h: number) => visitPrice(prices, visit.booked_hours + h) - visitPrice(prices, visit.booked_hours);
  if (left < 1) return <p class="muted">{`The visit has the most hours a visit may have (${prices.visits.max_hours} h).`}</p>;
  return (
    <>
      <BillingForm
        id="extend-form"
        label={standard ? `Order ${hours} h more for ${minorMoney(price(hours), visit.price.currency)}` : `Order ${hours} h more`}
        action={async (data) => {
          const h = Number(data.get("hours"));
          const order = await post<{ price: { currency: string; amount_minor: number }; checkout_url: string }>(
            `/visits/${seg(visit.visit_id)}/extensions`,
            { hours: h },
            { "Idempotency-Key": crypto.randomUUID() },
          );
          setLink({ url: order.checkout_url, what: `${h} more hours of the onsite visit` });
          setHours(1);
          reload(300);
          return `Ordered ${h} h more for ${money(order.price)}: send the customer the payment link below. Once paid, the technician may log those hours.`;
        }}
      >
        <Field id="extend-hours" label="More hours">
          {(p) => (
            <select {...p} name="hours" value={String(hours)} onChange={(e) => setHours(Number((e.currentTarget as HTMLSelectElement).value))}>
              {Array.from({ length: left }, (_, i) => i + 1).map((h) => (
                <option value={h}>{standard ? `${h} h — ${minorMoney(price(h), visit.price.currency)}` : `${h} h`}</option>
              ))}
            </select>
          )}
        </Field>
      </BillingForm>
      {link ? <PaymentLink url={link.url} email={account.email} what={link.what} /> : null}
    </>
  );
}

function Cancel({ visit }: { visit: Visit }) {
  const reload = useReload();
  const back = visit.paid.amount_minor ? `${money(visit.paid)} paid is refunded in full to the card that paid.` : "Nothing was paid, so nothing is refunded.";
  return (
    <details class="question">
      <summary>Cancel the visit…</summary>
      <p class="muted">{`Only before any time is logged on it. ${back}`}</p>
      <BillingForm
        id="cancel-visit-form"
        label="Cancel the visit"
        action={async (data) => {
          const v = await post<Visit>(`/visits/${seg(visit.visit_id)}/cancel`, { reason: String(data.get("reason") || "").trim() });
          reload(300);
          return `Cancelled. ${v.refund_due.amount_minor ? `${money(v.refund_due)} is being refunded.` : "Nothing was paid."}`;
        }}
      >
        <Field id="cancel-reason" label="Why">
          {(p) => <input {...p} name="reason" type="text" required maxLength={2000} />}
        </Field>
      </BillingForm>
    </details>
  );
}

export function VisitDesk({ visitId }: { visitId: string }) {
  const { data, error } = useData(() => load(visitId), [visitId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const { visit, account, prices } = data;
  const open = visit.status === "awaiting_payment" || visit.status === "confirmed";
  return (
    <>
      <Heading>{`Onsite visit for ${account.name}`}</Heading>
      <p id="visit-state" class={`notice visit-${visit.status}`}>
        {visitState(visit)}
      </p>
      <dl class="summary" id="visit-summary">
        <dt>When</dt>
        <dd>{when(visit.scheduled_at)}</dd>
        <dt>Address</dt>
        <dd>{visit.address}</dd>
        <dt>Price</dt>
        <dd>{priceText(visit)}</dd>
        <dt>Paid</dt>
        <dd id="visit-paid">{money(visit.paid)}</dd>
        <dt>Refunded</dt>
        <dd id="visit-refunded">
          {visit.refunds.length
            ? `${money(visit.refunded)}: ${visit.refunds.map((r) => `${money(r.amount)} on ${when(r.at)}`).join("; ")}`
            : visit.refund_due.amount_minor
              ? `${money(visit.refund_due)} due, not yet refunded`
              : "Nothing"}
        </dd>
        <dt>Hours not used</dt>
        <dd>{visit.unused_hours_policy}</dd>
      </dl>
      {visit.status === "awaiting_payment" && visit.checkout_url ? (
        <section aria-labelledby="link-h">
          <h2 id="link-h">The payment link</h2>
          <PaymentLink url={visit.checkout_url} email={account.email} what={`the onsite visit on ${when(visit.scheduled_at)}`} />
        </section>
      ) : null}
      <Orders visit={visit} />
      {visit.status === "confirmed" ? (
        <section aria-labelledby="extend-h">
          <h2 id="extend-h">Add hours</h2>
          <Extend visit={visit} account={account} prices={prices} />
        </section>
      ) : null}
      {open ? (
        <section aria-labelledby="complete-h">
          <h2 id="complete-h">Completion</h2>
          <p>
            {"The technician completes the visit by closing "}
            <a href={`#/tickets/${seg(visit.ticket_id)}`}>its ticket</a>
            {"; paid hours not used are then refunded to the card that paid."}
          </p>
          <Cancel visit={visit} />
        </section>
      ) : null}
      <p class="links">
        <a href={`#/tickets/${seg(visit.ticket_id)}`}>The visit's ticket</a>
        {" · "}
        <a href={`#/billing/accounts/${seg(account.account_id)}`}>{`Back to ${account.name}`}</a>
      </p>
    </>
  );
}
