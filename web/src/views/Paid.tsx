// The page Checkout returns to (paid.html?order=ID; SPEC O1, O7, V1, W1): the webhook credits the hours,
// usually within a second or two of the payment, so the page asks for the order until it is no longer pending.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, seg } from "../api";
import { hours } from "../format";
import { interactive } from "../interactive";
import type { Order } from "../types";

const POLL_MS = 1000;
const GIVE_UP_MS = 60_000;

/** What the page says about the order, and whether that is final (no more asking). */
function statusOf(order: Order): { text: ComponentChildren; final: boolean } {
  switch (order.status) {
    case "paid":
      if (order.visit_id) {
        // SPEC V1: an onsite visit is paid in money; no hours are credited
        return { text: `Paid: ${order.title}. Your onsite visit is confirmed.`, final: true };
      }
      if (order.credits_existing_account) {
        // SPEC O7: the address already had an account; the order credited it and says nothing else about it.
        const credited = hours(order.credited_minutes || 0);
        return {
          text: `Paid: ${credited} h credited to the account of this e-mail address. Sign in to see its balance.`,
          final: true,
        };
      }
      return {
        text: (
          <>
            Paid: {hours(order.credited_minutes || 0)} h credited — your balance is now{" "}
            <strong id="balance">{order.balance_hours} h</strong>.
          </>
        ),
        final: true,
      };
    case "pending":
      return { text: "Waiting for the payment to be confirmed…", final: false };
    case "failed":
      return { text: "The payment failed: nothing was charged and no hours were credited. You can order again.", final: true };
    default:
      return {
        text: `This order is ${order.status}.${order.balance_hours === undefined ? "" : ` Your balance is now ${order.balance_hours} h.`}`,
        final: true,
      };
  }
}

export function Paid() {
  const orderId = new URLSearchParams(window.location.search).get("order");
  const [text, setText] = useState<ComponentChildren>(
    orderId ? "Checking your payment…" : "No order was given: this page is where the payment sends you back to.",
  );
  const [order, setOrder] = useState<Order | null>(null);

  useEffect(interactive, []);

  useEffect(() => {
    if (!orderId) return;
    const started = Date.now();
    let timer: number | undefined;
    let stopped = false;
    const next = () => {
      if (Date.now() - started >= GIVE_UP_MS) {
        setText("The payment has not been confirmed yet. If you paid, the hours arrive shortly: reload this page to check again.");
        return;
      }
      timer = window.setTimeout(poll, POLL_MS);
    };
    const poll = async () => {
      try {
        const found = await get<Order>(`/orders/${seg(orderId)}`);
        if (stopped) return;
        const said = statusOf(found);
        setText(said.text);
        setOrder(found);
        if (!said.final) next();
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.status === 404) setText("We cannot find this order.");
        else next();
      }
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [orderId]);

  // A new customer learns their account id and where to sign in (the invitation e-mail has the link too);
  // only the paid order that opened the account sent an invitation (not an existing customer's, not a visit's).
  const invited = order?.status === "paid" && order.account_id && order.new_account ? order.account_id : null;
  return (
    <>
      <h1>Your payment</h1>
      <div aria-live="polite">
        <p id="status">{text}</p>
      </div>
      <p id="order-ref" class="help">
        {orderId ? `Order ${orderId}` : ""}
      </p>
      <section id="signin-hint" hidden={!invited} aria-labelledby="signin-title">
        <h2 id="signin-title">Your account and your sign-in</h2>
        <p>
          Your account id is <strong id="account-id">{invited}</strong>. We have e-mailed an invitation to sign in to
          your portal, where you see the hours you have left and every minute logged on your tickets.
        </p>
        <p>
          <a id="portal-link" href={invited ? `portal/?account=${encodeURIComponent(invited)}` : "portal/"}>
            Sign in to your portal
          </a>
        </p>
      </section>
      <p>
        <a href="./">Buy more hours</a>
      </p>
    </>
  );
}
