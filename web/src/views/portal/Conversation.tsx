// SPEC W5: a ticket is a conversation - its description, then each message with its author (name and role),
// time and how it came (portal, e-mail, staff). Staff also see internal notes, marked as such; the customer
// replies here; staff write to the customer (a response, S1) or leave an internal note.
import { useRef } from "preact/hooks";
import { get, post, seg } from "../../api";
import type { Me } from "../../auth";
import { Field } from "../../components/Field";
import { when } from "../../format";
import type { Message, Page, Ticket } from "../../types";
import { DeskForm } from "../desk/DeskForm";
import { useData, useReload } from "./data";
import { Failure, Loading } from "./Failure";

const MAX_TEXT = 10000;
const ROLE: Record<Message["author"]["role"], string> = {
  customer: "customer",
  technician: "technician",
  billing: "billing",
  system: "Hourbank",
};
const VIA: Record<Message["via"], string> = { portal: "in the portal", email: "by e-mail", staff: "from the desk" };

/** The whole conversation, oldest first (pages of 200 until the last). */
async function loadMessages(ticketId: string): Promise<Message[]> {
  const out: Message[] = [];
  let cursor: string | null | undefined = null;
  do {
    const page: Page<Message> = await get<Page<Message>>(`/tickets/${seg(ticketId)}/messages`, { limit: 200, cursor });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

function MessageItem({ m }: { m: Message }) {
  const internal = m.visibility === "internal";
  return (
    <li class={`message ${m.author.role === "customer" ? "from-customer" : "from-staff"}${internal ? " internal" : ""}`} data-message={m.message_id}>
      <p class="message-head">
        <strong>{m.author.name}</strong>
        {` (${ROLE[m.author.role]}) · ${when(m.at)} · ${VIA[m.via]}`}
      </p>
      {internal ? <p class="internal-mark">Internal note — the customer does not see this</p> : null}
      <p class="message-text">{m.text}</p>
    </li>
  );
}

/** One form writing a message; a retried submit of the same draft adds it once (Idempotency-Key). */
function MessageForm({ ticket, id, label, button, visibility, help }: {
  ticket: Ticket;
  id: string;
  label: string;
  button: string;
  visibility: "public" | "internal";
  help?: string;
}) {
  const reload = useReload();
  const draft = useRef(crypto.randomUUID());
  return (
    <DeskForm
      id={id}
      class="desk-form message-form"
      label={button}
      action={async (data) => {
        const text = String(data.get("text") || "");
        await post<Message>(`/tickets/${seg(ticket.ticket_id)}/messages`, { text, visibility }, { "Idempotency-Key": draft.current });
        draft.current = crypto.randomUUID();
        reload(300);
        return visibility === "internal" ? "Note saved." : "Sent.";
      }}
    >
      <Field id={`${id}-text`} label={label} help={help}>
        {(p) => <textarea {...p} name="text" required maxLength={MAX_TEXT} rows={4} />}
      </Field>
    </DeskForm>
  );
}

export function Conversation({ ticket, me }: { ticket: Ticket; me: Me }) {
  const { data, error } = useData(() => loadMessages(ticket.ticket_id), [ticket.ticket_id]);
  const open = ticket.status === "open";
  const staff = me.role === "staff";
  return (
    <section id="conversation" aria-labelledby="conversation-h">
      <h2 id="conversation-h">Conversation</h2>
      {error ? <Failure error={error} /> : !data ? <Loading /> : data.length ? (
        <ol class="messages">
          {data.map((m) => (
            <MessageItem key={m.message_id} m={m} />
          ))}
        </ol>
      ) : (
        <p class="muted">{staff ? "No messages yet." : "No replies yet — we will answer here and by e-mail."}</p>
      )}
      {!open ? (
        <p class="muted" id="conversation-closed">
          {staff ? "This ticket is no longer open: no more messages." : "This ticket is closed. To ask something new, "}
          {staff ? null : <a href={`#/accounts/${seg(ticket.account_id)}/raise`}>raise a new ticket</a>}
          {staff ? null : "."}
        </p>
      ) : staff ? (
        <div class="message-forms">
          <MessageForm ticket={ticket} id="write-customer" label="Write to the customer" button="Send to the customer" visibility="public" help="The customer sees this; the first one is the ticket's first response." />
          <MessageForm ticket={ticket} id="internal-note" label="Internal note" button="Save note" visibility="internal" help="Staff only: the customer never sees it." />
        </div>
      ) : (
        <MessageForm ticket={ticket} id="reply" label="Your reply" button="Send reply" visibility="public" />
      )}
    </section>
  );
}
