// SPEC W4, O8: the payments kept for review - what arrived, for which account and order, money as money - and
// billing's settlement of each: a note, and the hours to credit (or take back) if any.
import { get, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { duration, type Money, money, when } from "../../format";
import type { Page } from "../../types";
import { useState } from "preact/hooks";
import { useData } from "../portal/data";
import { Failure, Loading } from "../portal/Failure";
import { BillingForm } from "./BillingForm";
import type { BillingAccount, Review } from "./model";

interface OrderPrice {
  order_id: string;
  price: Money;
  title?: string | null;
  status: string;
}

/** What arrived against what the order asked, in money: "$10.00 received for an order of $300.00". */
function received(r: Review, order: OrderPrice | undefined): string {
  const got = r.amount ? `${money(r.amount)} received` : "An amount not known";
  return order ? `${got} for ${order.title ? `“${order.title}”, ` : ""}an order of ${money(order.price)}` : got;
}

async function load(status: string, cursor: string | undefined) {
  const page = await get<Page<Review>>("/reviews", { status, limit: 25, cursor });
  const ids = [...new Set(page.items.map((r) => r.account_id).filter((a): a is string => Boolean(a)))];
  const accounts = await Promise.all(ids.map((id) => get<BillingAccount>(`/accounts/${seg(id)}`).catch(() => null)));
  const names = Object.fromEntries(accounts.filter((a): a is BillingAccount => a !== null).map((a) => [a.account_id, a.name]));
  const orderIds = [...new Set(page.items.map((r) => r.order_id).filter((o): o is string => Boolean(o)))];
  const orders = await Promise.all(orderIds.map((id) => get<OrderPrice>(`/orders/${seg(id)}`).catch(() => null)));
  const prices = Object.fromEntries(orders.filter((o): o is OrderPrice => o !== null).map((o) => [o.order_id, o]));
  return { page, names, prices };
}

function Settle({ review }: { review: Review }) {
  const [done, setDone] = useState("");
  if (done) {
    // kept on screen until the list is read again (the settled review then moves to "Settled")
    return (
      <p class="form-result ok" role="status">
        {done}
      </p>
    );
  }
  return (
    <BillingForm
      class="settle-form"
      label="Settle"
      action={async (data) => {
        const hours = Number(data.get("hours") || 0);
        const minutes = Math.round(hours * 60) * (data.get("direction") === "take" ? -1 : 1);
        await post(`/reviews/${seg(review.review_id)}/resolve`, {
          note: String(data.get("note") || "").trim(),
          ...(minutes ? { minutes } : {}),
        });
        const order = review.order_id ? (minutes > 0 ? " Its order counts as paid." : " Its order is cancelled.") : "";
        setDone(`Settled${minutes ? `: ${duration(minutes)} on the account` : ""}.${order}`);
        return "";
      }}
    >
      <Field label="What was done (kept with the review)">
        {(p) => <input {...p} name="note" type="text" required maxLength={2000} />}
      </Field>
      <div class="row">
        <Field label="Hours to credit (if any)" help={review.order_id ? "With hours credited its order counts as paid; without, it is cancelled." : undefined}>
          {(p) => <input {...p} name="hours" type="number" min="0" step="0.5" inputMode="decimal" />}
        </Field>
        <Field label="Credit or take back">
          {(p) => (
            <select {...p} name="direction">
              <option value="add">Credit</option>
              <option value="take">Take back</option>
            </select>
          )}
        </Field>
      </div>
    </BillingForm>
  );
}

export function ReviewsDesk({ query }: { query: Record<string, string> }) {
  const status = query.status === "resolved" ? "resolved" : "open";
  const { data, error } = useData(() => load(status, query.cursor), [status, query.cursor]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const { page, names, prices } = data;
  return (
    <>
      <Heading>Payments kept for review</Heading>
      <p class="tabs">
        <a href="#/billing/reviews" aria-current={status === "open" ? "page" : undefined}>
          To settle
        </a>
        <a href="#/billing/reviews?status=resolved" aria-current={status === "resolved" ? "page" : undefined}>
          Settled
        </a>
      </p>
      {page.items.length ? null : <p class="muted">{status === "open" ? "Nothing is waiting to be settled." : "None settled yet."}</p>}
      <ul id="reviews" class="tickets">
        {page.items.map((r) => (
          <li key={r.review_id} data-review={r.review_id} class="review">
            <div>
              <strong>{received(r, r.order_id ? prices[r.order_id] : undefined)}</strong>
              {r.account_id ? (
                <>
                  {" from "}
                  <a href={`#/billing/accounts/${seg(r.account_id)}`}>{names[r.account_id] || "an account no longer found"}</a>
                </>
              ) : (
                " from no known account"
              )}
              <span class="muted">{` · ${when(r.at)}`}</span>
            </div>
            <p class="reason">{`Kept for review: ${r.reason}`}</p>
            {r.status === "open" ? (
              <Settle review={r} />
            ) : (
              <p class="muted">{`Settled ${when(r.resolution?.at)}: ${r.resolution?.note || ""}${r.resolution?.minutes ? ` (${duration(r.resolution.minutes)})` : ""}`}</p>
            )}
          </li>
        ))}
      </ul>
      {page.cursor ? (
        <p>
          <a href={`#/billing/reviews?${new URLSearchParams({ status, cursor: page.cursor })}`}>Next page →</a>
        </p>
      ) : null}
    </>
  );
}
