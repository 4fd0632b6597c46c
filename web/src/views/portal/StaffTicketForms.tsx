// Staff on a ticket: on an open one, record a response (the first one meets the target, SPEC S1) and pause or
// resume the clock; on a closed one, billing credits time back (SPEC C6).
import { post, put, seg } from "../../api";
import { ActionForm } from "../../components/ActionForm";
import { Field } from "../../components/Field";
import { duration, when } from "../../format";
import type { LedgerEntry, Ticket } from "../../types";
import { useReload } from "./data";

export function ResponseForms({ ticket }: { ticket: Ticket }) {
  const reload = useReload();
  const base = `/tickets/${seg(ticket.ticket_id)}`;
  return (
    <section class="staff" aria-labelledby="resp-h">
      <h2 id="resp-h">Staff: a response given elsewhere (phone, in person), and waiting</h2>
      <ActionForm
        id="response-form"
        label="Record response"
        action={async (data) => {
          const r = await post<{ at: string }>(`${base}/responses`, { note: data.get("note") });
          reload(600);
          return `Recorded at ${when(r.at)}.`;
        }}
      >
        <Field label="Response (what was said or done)">
          {(p) => <textarea {...p} name="note" required maxLength={2000} rows={2} />}
        </Field>
      </ActionForm>
      <ActionForm
        id="waiting-form"
        label={ticket.waiting ? "Resume the clock (customer replied)" : "Waiting on the customer"}
        action={async () => {
          await put(`${base}/waiting`, { waiting: !ticket.waiting });
          reload(600);
          return ticket.waiting ? "The clock runs again." : "The clock is paused.";
        }}
      />
    </section>
  );
}

export function CreditBackForm({ ticket }: { ticket: Ticket }) {
  const reload = useReload();
  return (
    <section class="staff" aria-labelledby="cb-h">
      <h2 id="cb-h">Staff: credit time back</h2>
      <ActionForm
        id="credit-back-form"
        label="Credit back"
        action={async (data) => {
          const entry = await post<LedgerEntry>(`/tickets/${seg(ticket.ticket_id)}/credit-back`, {
            minutes: Number(data.get("minutes")),
            reason: data.get("reason"),
          });
          reload(600);
          return `Credited ${duration(entry.minutes)}.`;
        }}
      >
        <Field label="Minutes">{(p) => <input {...p} name="minutes" type="number" min="1" step="1" required />}</Field>
        <Field label="Reason">{(p) => <input {...p} name="reason" type="text" required maxLength={2000} />}</Field>
      </ActionForm>
    </section>
  );
}
