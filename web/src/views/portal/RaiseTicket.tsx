// SPEC W1, W5: a customer raises a ticket in the portal - title, what happened, and a priority whose meaning
// is spelled out in seed 003's words (urgent: it stops everyone and there is no way around it). A refusal reads
// as a sentence; the C4 gate (a non-member with no hours) says how much to top up and links buying hours.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { duration } from "../../format";
import type { Ticket } from "../../types";
import { Refusal } from "../desk/refusal";

/** SPEC C4 for the customer: how much to top up, and where - the desk's Refusal speaks to staff. */
function Refused({ error, accountId }: { error: unknown; accountId: string }) {
  if (error instanceof ApiError && error.status === 402) {
    const topUp = Number(error.details.top_up_minutes) || 0;
    return (
      <span id="raise-refused">
        {"Your account has no support time left, so we cannot open a new ticket yet. "}
        <a href={`/?account=${encodeURIComponent(accountId)}`}>{topUp ? `Buy at least ${duration(topUp)} of support time` : "Buy support time"}</a>
        {", then raise the ticket again — what you wrote stays here."}
      </span>
    );
  }
  return <Refusal error={error} />;
}

async function raise(accountId: string, data: FormData): Promise<void> {
  const description = String(data.get("description") || "").trim();
  const ticket = await post<Ticket>("/tickets", {
    account_id: accountId,
    title: String(data.get("title") || "").trim(),
    priority: data.get("priority"),
    ...(description ? { description } : {}),
  });
  window.location.hash = `#/tickets/${encodeURIComponent(ticket.ticket_id)}`;
}

export function RaiseTicket({ accountId }: { accountId: string }) {
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<ComponentChildren>(null);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    if (!form.reportValidity()) return;
    setBusy(true);
    setRefused(null);
    try {
      await raise(accountId, new FormData(form));
    } catch (error) {
      setRefused(<Refused error={error} accountId={accountId} />);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <p>
        <a href={`#/accounts/${seg(accountId)}`}>← Hours and tickets</a>
      </p>
      <Heading>Raise a ticket</Heading>
      <p class="help">
        The more you tell us, the sooner we can help. We answer here and by e-mail; you can follow and reply to
        the conversation on the ticket's page.
      </p>
      <form id="raise-ticket-form" class="desk-form" onSubmit={submit}>
        <Field id="raise-title" label="What is the problem, in a line?">
          {(p) => <input {...p} name="title" type="text" required maxLength={200} placeholder="The printer on the 2nd floor jams" />}
        </Field>
        <Field id="raise-description" label="What happened (what you see, since when, who is affected)">
          {(p) => <textarea {...p} name="description" rows={5} maxLength={20000} />}
        </Field>
        <fieldset class="priority" id="raise-priority">
          <legend>How urgent is it?</legend>
          <div class="field check">
            <input id="priority-low" type="radio" name="priority" value="low" />
            <label for="priority-low">Low — it can wait; a question or a small annoyance.</label>
          </div>
          <div class="field check">
            <input id="priority-normal" type="radio" name="priority" value="normal" checked />
            <label for="priority-normal">Normal — it gets in the way of one person's work.</label>
          </div>
          <div class="field check">
            <input id="priority-urgent" type="radio" name="priority" value="urgent" />
            <label for="priority-urgent">
              Urgent — it stops all your users and there is no workaround (for example the whole office is offline).
              Urgent tickets are answered first.
            </label>
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit" disabled={busy}>
            Raise ticket
          </button>
        </div>
        <div class={`form-result ${refused ? "error" : ""}`} role="status" aria-live="polite">
          {refused}
        </div>
      </form>
    </>
  );
}
