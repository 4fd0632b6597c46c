// SPEC W3 on a ticket: log time or run a timer, emergency upgrade and downgrade with its time (T3), priority
// (S1), and close (C1-C3) - seeing before closing what the close will consume and after it what happened.
import { useState } from "preact/hooks";
import { post, put, seg } from "../../api";
import { Field } from "../../components/Field";
import { duration, when, words } from "../../format";
import type { CloseResult, Ticket } from "../../types";
import { useReload } from "../portal/data";
import { DeskForm } from "./DeskForm";
import { LogTimeForm, TimerForm } from "./LogTime";
import { instant, localInput } from "./times";

function EmergencyForm({ ticket }: { ticket: Ticket }) {
  const reload = useReload();
  const active = Boolean(ticket.emergency);
  const changes = ticket.emergency_changes || [];
  return (
    <section aria-labelledby="emergency-h">
      <h3 id="emergency-h">{active ? "Emergency (×2 on time from its start)" : "Emergency"}</h3>
      {changes.length ? (
        <ul id="emergency-changes">
          {changes.map((c) => (
            <li>{`${c.active ? "Emergency from" : "Emergency ended"} ${when(c.at)}${c.by_name ? ` (${c.by_name})` : ""}`}</li>
          ))}
        </ul>
      ) : null}
      <DeskForm
        id="emergency-form"
        class="desk-form"
        label={active ? "End the emergency" : "Declare an emergency"}
        accountId={ticket.account_id}
        action={async (data) => {
          const at = instant(data.get("at"));
          await post(`/tickets/${seg(ticket.ticket_id)}/emergency`, { active: !active, ...(at ? { at } : {}) });
          reload(300);
          return active ? "The emergency has ended: later time counts ×1." : "Emergency: time from then on counts ×2.";
        }}
      >
        <Field id="emergency-at" label={active ? "Ended at" : "Since"} help="Empty: now.">
          {(p) => <input {...p} name="at" type="datetime-local" max={localInput(new Date())} />}
        </Field>
      </DeskForm>
    </section>
  );
}

function PriorityForm({ ticket }: { ticket: Ticket }) {
  const reload = useReload();
  return (
    <DeskForm
      id="priority-form"
      class="desk-form"
      label="Change priority"
      action={async (data) => {
        await put(`/tickets/${seg(ticket.ticket_id)}/priority`, { priority: data.get("priority") });
        reload(300);
        return `Priority: ${String(data.get("priority"))}.`;
      }}
    >
      <Field id="priority" label="Priority">
        {(p) => (
          <select {...p} name="priority" value={ticket.priority}>
            {["low", "normal", "urgent"].map((v) => (
              <option value={v}>{v}</option>
            ))}
          </select>
        )}
      </Field>
    </DeskForm>
  );
}

/** SPEC T5, T6: what closing now consumes, from the ticket's own projection, and why. */
export function projection(t: Ticket, onsiteMinimum: number): string {
  const weighted = t.weighted_minutes || 0;
  const projected = t.projected_consumption_minutes || 0;
  if (t.visit_id) return `An onsite visit, paid for on its own: closing takes nothing off the hours balance.`;
  if (!weighted) return "No time is logged: closing consumes nothing.";
  const rules = ["rounded up to the next half hour, at least 30 min"];
  if (onsiteMinimum) rules.push(`onsite and travel counted as at least ${duration(onsiteMinimum)}`);
  return `Weighted ${duration(weighted)}; closing consumes ${duration(projected)} (${rules.join("; ")}).`;
}

export function closeOutcome(r: CloseResult): string {
  if (r.status === "awaiting_credit") {
    return `Not closed yet: the balance does not cover ${duration(r.consumed_minutes)}. The ticket awaits credit and closes by itself when hours are bought.`;
  }
  const parts = [`${duration(r.debited_minutes)} debited from the balance`];
  if (r.postpay_minutes) parts.push(`${duration(r.postpay_minutes)} went to post-pay (invoiced with the month end)`);
  return `Closed: consumed ${duration(r.consumed_minutes)} — ${parts.join(", ")}. Balance now ${duration(r.balance_minutes)}.`;
}

function CloseForm({ ticket, onsiteMinimum, closed }: { ticket: Ticket; onsiteMinimum: number; closed: (r: CloseResult) => void }) {
  const reload = useReload();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <>
        <p class="muted">{projection(ticket, onsiteMinimum)}</p>
        <p>
          <button type="button" id="close-ask" onClick={() => setAsking(true)}>
            Close the ticket…
          </button>
        </p>
      </>
    );
  }
  return (
    <DeskForm
      id="close-form"
      class="confirm"
      label="Close and bill"
      accountId={ticket.account_id}
      action={async () => {
        const r = await post<CloseResult>(`/tickets/${seg(ticket.ticket_id)}/close`);
        closed(r);
        reload(300);
        return closeOutcome(r);
      }}
      extra={
        <button type="button" class="secondary" onClick={() => setAsking(false)}>
          Cancel
        </button>
      }
    >
      <p id="close-projection">{projection(ticket, onsiteMinimum)}</p>
    </DeskForm>
  );
}

/** The desk's part of an open ticket's page; after a close it keeps saying what the close did. */
export function TicketDesk({ ticket, onsiteMinimum }: { ticket: Ticket; onsiteMinimum: number }) {
  const [result, setResult] = useState<CloseResult | null>(null);
  if (result && ticket.status !== "open") {
    return (
      <section class="staff" aria-labelledby="closed-h">
        <h2 id="closed-h">{words(result.status) === "closed" ? "Closed" : "Awaiting credit"}</h2>
        <p id="close-outcome" role="status">
          {closeOutcome(result)}
        </p>
      </section>
    );
  }
  if (ticket.status !== "open") return null;
  return (
    <section class="staff desk" aria-labelledby="desk-h">
      <h2 id="desk-h">Log time</h2>
      <LogTimeForm ticket={ticket} />
      <div class="desk-grid">
        <section aria-labelledby="timer-h">
          <h3 id="timer-h">Timer</h3>
          <TimerForm ticket={ticket} />
        </section>
        <EmergencyForm ticket={ticket} />
        <section aria-labelledby="priority-h">
          <h3 id="priority-h">Priority</h3>
          <PriorityForm ticket={ticket} />
        </section>
      </div>
      <h3>Close</h3>
      <CloseForm ticket={ticket} onsiteMinimum={onsiteMinimum} closed={setResult} />
    </section>
  );
}
