// Every payment the account made or got back, newest first, with Stripe's receipt where there is one (SPEC W1).
import { useState } from "preact/hooks";
import { get, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { duration, money, when } from "../../format";
import type { Page, Payment } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";

const KINDS: Record<Payment["kind"], string> = {
  order: "Hours bought online",
  visit: "Onsite visit",
  extension: "Onsite visit, more hours",
  invoice: "Invoice paid",
  phone: "Bought by phone",
};

function statusText(p: Payment): string {
  if (p.status === "refunded") return `Refunded ${money(p.refunded)}`;
  if (p.status === "partially_refunded") return `Paid, ${money(p.refunded)} refunded`;
  if (p.status === "disputed") return "Disputed with your bank";
  return "Paid";
}

function PaymentItem({ p }: { p: Payment }) {
  return (
    <li class="payment">
      <div class="line">
        <strong>{p.description || KINDS[p.kind]}</strong>
        <span class="amount">{money(p.amount)}</span>
      </div>
      <div class="line muted">
        <span>
          {when(p.at)} · {KINDS[p.kind]}
          {p.minutes != null ? ` · ${duration(p.minutes)}` : ""}
        </span>
        <span class={`pill ${p.status}`}>{statusText(p)}</span>
      </div>
      {p.receipt_url ? (
        <a href={p.receipt_url} target="_blank" rel="noopener noreferrer">
          Receipt<span class="visually-hidden"> for {money(p.amount)} on {when(p.at)}</span>
        </a>
      ) : (
        <span class="muted">{p.kind === "phone" ? "Receipt: ask billing (paid by phone)" : "No receipt from the card processor"}</span>
      )}
    </li>
  );
}

export function PaymentsView({ accountId }: { accountId: string }) {
  const [older, setOlder] = useState<Payment[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [moreError, setMoreError] = useState("");
  const { data, error } = useData(() => get<Page<Payment>>(`/accounts/${seg(accountId)}/payments`), [accountId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const next = cursor === undefined ? data.cursor : cursor;
  const items = [...data.items, ...older];
  const more = async () => {
    try {
      const page = await get<Page<Payment>>(`/accounts/${seg(accountId)}/payments`, { cursor: next });
      setOlder([...older, ...page.items]);
      setCursor(page.cursor ?? null);
    } catch (e) {
      setMoreError(`${(e as Error).message} Try again in a moment.`);
    }
  };
  return (
    <>
      <Heading>Payments</Heading>
      {items.length ? (
        <ul class="payments">
          {items.map((p) => (
            <PaymentItem key={p.payment_id + p.at} p={p} />
          ))}
        </ul>
      ) : (
        <p class="muted">No payments yet. Hours you buy, onsite visits and invoices you pay appear here.</p>
      )}
      {next ? (
        <button type="button" class="secondary" onClick={more}>
          Show older payments
        </button>
      ) : null}
      {moreError ? (
        <p class="errors" role="alert">
          {moreError}
        </p>
      ) : null}
    </>
  );
}
