// SPEC W4, C6: the open disputes, oldest first (GET /disputes), each with its account and ticket by name, and
// billing's resolution on the spot: upheld with time credited back, or not upheld, with a note to the customer.
import { get, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { duration, when } from "../../format";
import type { Page } from "../../types";
import { useState } from "preact/hooks";
import { useData } from "../portal/data";
import { Failure, Loading } from "../portal/Failure";
import { BillingForm } from "./BillingForm";
import type { DisputeItem } from "./model";

function raisedBy(d: DisputeItem): string {
  if (d.raised_by_role === "staff") return d.raised_by_name ? `${d.raised_by_name} (staff)` : "Staff";
  return d.raised_by_name || "The customer";
}

function Resolve({ d }: { d: DisputeItem }) {
  const [done, setDone] = useState("");
  if (done) {
    // kept on screen until the list is read again (the resolved dispute then moves to "Resolved")
    return (
      <p class="form-result ok" role="status">
        {done}
      </p>
    );
  }
  return (
    <BillingForm
      class="resolve-form"
      label="Resolve"
      action={async (data) => {
        const outcome = String(data.get("outcome"));
        const credit = Math.round(Number(data.get("credit_hours") || 0) * 60);
        await post(`/tickets/${seg(d.ticket_id)}/time-entries/${seg(d.entry_id)}/resolve`, {
          outcome,
          note: String(data.get("note") || "").trim(),
          ...(outcome === "upheld" && credit ? { credit_minutes: credit } : {}),
        });
        setDone(outcome === "upheld" ? `Upheld${credit ? `: ${duration(credit)} credited back` : ""}. The customer is told.` : "Not upheld. The customer is told why.");
        return "";
      }}
    >
      <div class="row">
        <Field label="Outcome">
          {(p) => (
            <select {...p} name="outcome">
              <option value="upheld">Upheld</option>
              <option value="rejected">Not upheld</option>
            </select>
          )}
        </Field>
        <Field label="Hours to credit back (upheld only)" help="Once the ticket is closed; an open ticket's wrong entry is voided instead.">
          {(p) => <input {...p} name="credit_hours" type="number" min="0" step="0.25" inputMode="decimal" />}
        </Field>
      </div>
      <Field label="Note to the customer">{(p) => <input {...p} name="note" type="text" required maxLength={2000} />}</Field>
    </BillingForm>
  );
}

function outcome(d: DisputeItem): string {
  const credited = d.credited_minutes ? `, ${duration(d.credited_minutes)} credited back` : "";
  const by = d.resolved_by_name ? ` by ${d.resolved_by_name}` : "";
  return `${d.status === "upheld" ? "Upheld" : "Not upheld"} ${when(d.resolved_at)}${by}${credited}.`;
}

export function DisputesDesk({ query }: { query: Record<string, string> }) {
  const status = query.status === "resolved" ? "resolved" : "open";
  const { data, error } = useData(
    () => get<Page<DisputeItem>>("/disputes", { status, limit: 25, cursor: query.cursor }),
    [status, query.cursor],
  );
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <Heading>{status === "open" ? "Open disputes, oldest first" : "Resolved disputes, newest first"}</Heading>
      <p class="tabs">
        <a href="#/billing/disputes" aria-current={status === "open" ? "page" : undefined}>
          Open
        </a>
        <a href="#/billing/disputes?status=resolved" aria-current={status === "resolved" ? "page" : undefined}>
          Resolved
        </a>
      </p>
      {data.items.length ? null : <p class="muted">{status === "open" ? "No dispute is waiting for an answer." : "None resolved yet."}</p>}
      <ul id="disputes" class="tickets">
        {data.items.map((d) => (
          <li key={`${d.ticket_id}/${d.entry_id}`} class="dispute-item">
            <div>
              <a href={`#/billing/accounts/${seg(d.account_id)}`}>{d.account_name || "An account"}</a>
              {" · "}
              <a href={`#/tickets/${seg(d.ticket_id)}`}>{d.ticket_title || "its ticket"}</a>
              {d.minutes ? <span class="muted">{` · an entry of ${duration(d.minutes)}`}</span> : null}
            </div>
            <p class="reason">{`${raisedBy(d)} asked ${when(d.raised_at)}: “${d.reason}”`}</p>
            {d.status === "open" ? <Resolve d={d} /> : <p class="muted">{outcome(d)}</p>}
          </li>
        ))}
      </ul>
      {data.cursor ? (
        <p>
          <a href={`#/billing/disputes?${new URLSearchParams({ status, cursor: data.cursor })}`}>Next page →</a>
        </p>
      ) : null}
    </>
  );
}
