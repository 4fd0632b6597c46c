// Back from Checkout's cancel link (/?cancelled=ID; SPEC O1): coming back is no proof that nothing was paid
// (paid in another tab, or back after paying), so the order's own status decides what is said
// (GET /orders/{id}, public: the id is the key). An id the API does not know: nothing is said about it.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, seg } from "../api";
import type { Order } from "../types";

interface Note {
  text: string;
  link?: string;
}

function noteFor(orderId: string, order: Order): Note {
  if (order.status === "pending" || order.status === "failed") {
    return { text: `The payment was cancelled: order ${orderId} was not paid and nothing was charged.` };
  }
  if (order.status === "paid") {
    return { text: `Order ${orderId} is already paid: there is nothing more to pay.`, link: "See the paid order" };
  }
  return { text: `Order ${orderId} is ${order.status}.`, link: "See the order" };
}

export function Cancelled() {
  const orderId = new URLSearchParams(window.location.search).get("cancelled");
  const [note, setNote] = useState<Note | null>(null);
  useEffect(() => {
    if (!orderId) return;
    get<Order>(`/orders/${seg(orderId)}`).then(
      (order) => setNote(noteFor(orderId, order)),
      (error) => {
        if (error instanceof ApiError && error.status === 404) return; // no such order: no claim about it
        setNote({ text: `We could not check order ${orderId} just now: reload this page to try again.` });
      },
    );
  }, [orderId]);
  return (
    <p id="cancelled" class="notice" role="status" hidden={!note}>
      {note?.text}
      {note?.link ? (
        <>
          {" "}
          {/* Checkout's success page for this order */}
          <a href={`paid.html?order=${encodeURIComponent(orderId || "")}`}>{note.link}</a>
        </>
      ) : null}
    </p>
  );
}
