// A time entry's question (SPEC C6): who raised it, in words (the API gives the raiser's subject, an opaque
// id, and whether they were the customer or staff: never the raw id), its outcome, and the forms to raise
// one (anyone who can see the entry) or to resolve it (billing).
import { post, seg } from "../../api";
import type { Me } from "../../auth";
import { ActionForm } from "../../components/ActionForm";
import { Field } from "../../components/Field";
import { duration, when } from "../../format";
import type { Dispute as DisputeData, Entry } from "../../types";
import { useReload } from "./data";
import { useMe } from "./me";

function raiser(d: DisputeData, me: Me): string {
  if (d.raised_by && d.raised_by === me.sub) return "you";
  if (d.raised_by_role === "staff") return "Hourbank staff";
  if (d.raised_by_role === "customer") return me.role === "customer" ? "someone else on your account" : "the customer";
  return me.role === "customer" ? "someone on your account or Hourbank staff" : "the customer or staff";
}

function outcome(d: DisputeData, me: Me): string {
  if (d.status === "open") {
    return `Questioned by ${raiser(d, me)} ${when(d.raised_at)}: “${d.reason}”. Waiting for billing to answer.`;
  }
  const credited = d.credited_minutes ? ` — ${duration(d.credited_minutes)} credited back.` : "";
  return `Questioned by ${raiser(d, me)}: “${d.reason}”. ${d.status === "upheld" ? "Upheld" : "Not upheld"} ${when(d.resolved_at)}: ${d.resolution_note || ""}${credited}`;
}

export function Dispute({ ticketId, entry }: { ticketId: string; entry: Entry }) {
  const me = useMe();
  const reload = useReload();
  const base = `/tickets/${seg(ticketId)}/time-entries/${seg(entry.entry_id)}`;
  const d = entry.dispute;
  if (!d) {
    return (
      <details class="question">
        <summary>Question this entry</summary>
        <ActionForm
          class="dispute-form"
          label="Send question"
          action={async (data) => {
            await post(`${base}/dispute`, { reason: data.get("reason") });
            reload(600);
            return "Sent: billing will answer.";
          }}
        >
          <Field label="What is wrong with it?">
            {(p) => <textarea {...p} name="reason" required maxLength={2000} rows={3} />}
          </Field>
        </ActionForm>
      </details>
    );
  }
  return (
    <>
      <p class={`dispute ${d.status}`} data-entry={entry.entry_id}>
        {outcome(d, me)}
      </p>
      {d.status === "open" && me.billing ? (
        <ActionForm
          class="resolve-form"
          label="Resolve"
          action={async (data) => {
            await post(`${base}/resolve`, {
              outcome: data.get("outcome"),
              note: data.get("note"),
              credit_minutes: Number(data.get("credit_minutes") || 0),
            });
            reload(600);
            return "Resolved.";
          }}
        >
          <Field label="Outcome">
            {(p) => (
              <select {...p} name="outcome">
                <option value="upheld">upheld</option>
                <option value="rejected">rejected</option>
              </select>
            )}
          </Field>
          <Field label="Note to the customer">
            {(p) => <input {...p} name="note" type="text" required maxLength={2000} />}
          </Field>
          <Field label="Minutes to credit back (upheld only)">
            {(p) => <input {...p} name="credit_minutes" type="number" min="0" step="1" defaultValue="0" />}
          </Field>
        </ActionForm>
      ) : null}
    </>
  );
}
