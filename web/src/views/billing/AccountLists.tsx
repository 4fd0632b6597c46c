// SPEC W4, W1, O6: what an account paid and got back (GET /accounts/{id}/payments), its onsite visits (GET
// /accounts/{id}/visits) and its recurring agreements (GET .../agreements), each ended from here as agreed.
import { get, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { duration, money, when } from "../../format";
import type { Page } from "../../types";
import { useData, useReload } from "../portal/data";
import { BillingForm } from "./BillingForm";
import type { Agreement, Payment, Visit } from "./model";
import { visitState } from "./VisitDesk";

const PAYMENT_KINDS: Record<string, string> = {
  order: "Hours bought online",
  visit: "Onsite visit",
  extension: "More hours of a visit",
  invoice: "Invoice",
  phone: "Bought by phone",
};

const PAYMENT_STATES: Record<string, string> = {
  paid: "paid",
  refunded: "refunded",
  partially_refunded: "partly refunded",
  disputed: "disputed at the bank",
};

function paymentLine(p: Payment): string {
  const back = p.status === "partially_refunded" && p.refunded.amount_minor ? `, ${money(p.refunded)} of it refunded` : "";
  const hours = p.minutes ? ` · ${duration(p.minutes)}` : "";
  return `${money(p.amount)}${hours} · ${PAYMENT_STATES[p.status] || p.status}${back}`;
}

export function Payments({ accountId }: { accountId: string }) {
  const { data, error } = useData(() => get<Page<Payment>>(`/accounts/${seg(accountId)}/payments`, { limit: 10 }), [accountId]);
  return (
    <section aria-labelledby="payments-h">
      <h2 id="payments-h">Payments, newest first</h2>
      {error ? <p class="errors">{`The payments could not be read (${error.message}). Reload the page to try again.`}</p> : null}
      {data && !data.items.length ? <p class="muted">No payments yet.</p> : null}
      <ul id="payments" class="tickets">
        {(data?.items || []).map((p) => (
          <li key={p.payment_id}>
            <strong>{PAYMENT_KINDS[p.kind] || p.kind}</strong>
            <span>{paymentLine(p)}</span>
            <span class="muted">{when(p.at)}</span>
            {p.description ? <span class="muted">{p.description}</span> : null}
            {p.receipt_url ? <a href={p.receipt_url}>Receipt</a> : null}
          </li>
        ))}
      </ul>
      {data?.cursor ? <p class="muted">Older payments are on the account's statements.</p> : null}
    </section>
  );
}

export function Visits({ accountId }: { accountId: string }) {
  const { data, error } = useData(() => get<Page<Visit>>(`/accounts/${seg(accountId)}/visits`, { limit: 10 }), [accountId]);
  if (error) return <p class="errors">{`The visits could not be read (${error.message}). Reload the page to try again.`}</p>;
  if (!data?.items.length) return null;
  return (
    <ul id="visits" class="tickets" aria-label="Onsite visits">
      {data.items.map((v) => (
        <li key={v.visit_id}>
          <a href={`#/billing/visits/${seg(v.visit_id)}`}>{`${when(v.scheduled_at)} — ${v.address}`}</a>
          <span class="muted">{visitState(v)}</span>
        </li>
      ))}
    </ul>
  );
}

function agreementLine(a: Agreement): string {
  const parts = [`${a.hours_per_month} h a month for ${money(a.monthly_price)} (${money(a.rate)} an hour)`, `since ${when(a.started_at)}`];
  if (a.status === "active" && a.next_charge_at) parts.push(`next charge ${when(a.next_charge_at)}`);
  if (a.term_ends_at) parts.push(`${a.status === "ended" ? "term ended" : "term ends"} ${when(a.term_ends_at)}`);
  if (a.status === "ending") parts.push("ends at the term's end: no charge after it");
  if (a.status === "ended") parts.push(`ended ${when(a.ended_at)}${a.end_reason ? ` (“${a.end_reason}”)` : ""}`);
  return parts.join("; ");
}

function EndAgreement({ accountId, agreement }: { accountId: string; agreement: Agreement }) {
  const reload = useReload();
  return (
    <details class="question">
      <summary>End this agreement…</summary>
      <BillingForm
        class="end-agreement-form"
        label="End the agreement"
        action={async (data) => {
          const ended = await post<Agreement>(`/accounts/${seg(accountId)}/agreements/${seg(agreement.agreement_id)}/end`, {
            when: data.get("when"),
            reason: String(data.get("reason") || "").trim(),
          });
          reload(300);
          return ended.status === "ended" ? "Ended now: Stripe charges it no more." : `It ends ${when(ended.term_ends_at)}, at the term's end.`;
        }}
      >
        <Field label="When (as the customer agreed)">
          {(p) => (
            <select {...p} name="when">
              <option value="term_end">At the end of the term</option>
              <option value="now">Now</option>
            </select>
          )}
        </Field>
        <Field label="Why">{(p) => <input {...p} name="reason" type="text" required maxLength={2000} />}</Field>
      </BillingForm>
    </details>
  );
}

export function Agreements({ accountId }: { accountId: string }) {
  const { data, error } = useData(() => get<{ items: Agreement[] }>(`/accounts/${seg(accountId)}/agreements`), [accountId]);
  if (error) return <p class="errors">{`The agreements could not be read (${error.message}). Reload the page to try again.`}</p>;
  if (!data?.items.length) return null;
  return (
    <section aria-labelledby="agreements-h">
      <h2 id="agreements-h">Recurring pre-pay</h2>
      <ul id="agreements" class="tickets">
        {data.items.map((a) => (
          <li key={a.agreement_id} class="agreement">
            <span>
              <strong>{a.status === "active" ? "Active" : a.status === "ending" ? "Ending" : "Ended"}</strong>
              {`: ${agreementLine(a)}`}
            </span>
            {a.status !== "ended" ? <EndAgreement accountId={accountId} agreement={a} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
