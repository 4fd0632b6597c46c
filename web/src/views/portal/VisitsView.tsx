// The account's onsite visits: when, where, the price, paid or its payment link, hours used, what was refunded
// (SPEC W1, V1).
import { get, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { money, when } from "../../format";
import type { AccountVisit, Page } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";

const STATES: Record<AccountVisit["status"], string> = {
  awaiting_payment: "Awaiting payment",
  confirmed: "Paid, booked",
  completed: "Completed",
  cancelled: "Cancelled",
};

function hoursLine(v: AccountVisit): string {
  if (v.status === "awaiting_payment") return "Hours are prepaid when the visit is paid.";
  const plural = (n: number) => `${n} hour${n === 1 ? "" : "s"}`;
  return `Hours used: ${plural(v.used_hours)} of ${plural(v.prepaid_hours)} prepaid`;
}

function VisitItem({ v }: { v: AccountVisit }) {
  return (
    <li class="visit">
      <div class="line">
        <strong>{when(v.scheduled_at)}</strong>
        <span class={`pill ${v.status}`}>{STATES[v.status]}</span>
      </div>
      <p>{v.address}</p>
      <p>
        Price {money(v.price)}
        {v.paid.amount_minor ? ` · paid ${money(v.paid)}` : ""}
      </p>
      {v.status === "awaiting_payment" && v.checkout_url ? (
        <p>
          <a class="button" href={v.checkout_url}>
            Pay {money(v.price)} for this visit
          </a>
        </p>
      ) : null}
      <p class="muted">{hoursLine(v)}</p>
      {v.refunded.amount_minor ? <p>Refunded {money(v.refunded)} to the card that paid.</p> : null}
      {v.status === "confirmed" ? <p class="muted">Prepaid hours not used are {v.unused_hours_policy}.</p> : null}
      {v.status === "cancelled" && v.cancel_reason ? <p class="muted">Why: {v.cancel_reason}</p> : null}
      <a href={`#/tickets/${seg(v.ticket_id)}`}>The visit's ticket</a>
    </li>
  );
}

export function VisitsView({ accountId }: { accountId: string }) {
  const { data, error } = useData(() => get<Page<AccountVisit>>(`/accounts/${seg(accountId)}/visits`), [accountId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <Heading>Onsite visits</Heading>
      {data.items.length ? (
        <ul class="visits">
          {data.items.map((v) => (
            <VisitItem key={v.visit_id} v={v} />
          ))}
        </ul>
      ) : (
        <p class="muted">No onsite visits yet. To book one, call or write to us: we send the payment link.</p>
      )}
    </>
  );
}
