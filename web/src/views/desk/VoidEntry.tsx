// SPEC T9: void an entry of an open ticket with a reason; it stays on the ticket, struck through, with who,
// when and why, and counts for nothing from then on.
import { useState } from "preact/hooks";
import { post, seg } from "../../api";
import { Field } from "../../components/Field";
import { when } from "../../format";
import type { Entry } from "../../types";
import { useReload } from "../portal/data";
import { DeskForm } from "./DeskForm";

export function VoidedNote({ entry }: { entry: Entry }) {
  const v = entry.voided;
  if (!v) return null;
  return <p class="voided-note">{`Voided by ${v.by_name || "staff"}, ${when(v.at)}: “${v.reason}”. It counts for nothing.`}</p>;
}

export function VoidEntry({ ticketId, accountId, entry }: { ticketId: string; accountId: string; entry: Entry }) {
  const reload = useReload();
  const [open, setOpen] = useState(false);
  if (entry.voided) return null;
  if (!open) {
    return (
      <button type="button" class="secondary void-ask" onClick={() => setOpen(true)}>
        Void this entry…
      </button>
    );
  }
  return (
    <DeskForm
      class="void-form"
      label="Void entry"
      accountId={accountId}
      action={async (data) => {
        await post(`/tickets/${seg(ticketId)}/time-entries/${seg(entry.entry_id)}/void`, { reason: data.get("reason") });
        reload(300);
        return "Voided.";
      }}
      extra={
        <button type="button" class="secondary" onClick={() => setOpen(false)}>
          Keep it
        </button>
      }
    >
      <Field label="Why void it">{(p) => <input {...p} name="reason" type="text" required maxLength={2000} />}</Field>
    </DeskForm>
  );
}
