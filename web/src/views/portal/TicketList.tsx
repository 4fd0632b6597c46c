// An account's tickets, newest first, filtered by status, ten at a time (GET /accounts/{id}/tickets). The
// first page comes with the account (AccountView reads it with the rest), so the view appears whole.
import { useEffect, useState } from "preact/hooks";
import { get, seg } from "../../api";
import { Field } from "../../components/Field";
import { duration, when, words } from "../../format";
import type { Page, TicketSummary } from "../../types";

const FILTERS = [
  ["", "All"],
  ["open", "Open"],
  ["awaiting_credit", "Waiting for credit"],
  ["closed", "Closed"],
];

export function loadTickets(accountId: string, status: string, cursor: string | null): Promise<Page<TicketSummary>> {
  return get<Page<TicketSummary>>(`/accounts/${seg(accountId)}/tickets`, { status, limit: 10, cursor });
}

export function TicketList({ accountId, first }: { accountId: string; first: Page<TicketSummary> }) {
  const [status, setStatus] = useState("");
  const [items, setItems] = useState<TicketSummary[]>(first.items);
  const [cursor, setCursor] = useState<string | null>(first.cursor || null);

  async function page(from: string | null, keep: TicketSummary[]) {
    const reply = await loadTickets(accountId, status, from);
    setItems([...keep, ...reply.items]);
    setCursor(reply.cursor || null);
  }

  useEffect(() => {
    if (status) {
      void page(null, []);
      return;
    }
    setItems(first.items); // "All": the page read with the account (again after an action)
    setCursor(first.cursor || null);
  }, [first, status]);

  return (
    <section aria-labelledby="tickets-h">
      <h2 id="tickets-h">Tickets</h2>
      <Field id="ticket-status" label="Show">
        {(p) => (
          <select {...p} value={status} onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value)}>
            {FILTERS.map(([value, text]) => (
              <option value={value}>{text}</option>
            ))}
          </select>
        )}
      </Field>
      <ul class="tickets" id="ticket-list">
        {items.length ? null : <li class="muted">No tickets.</li>}
        {items.map((t) => {
          const used =
            t.consumed_minutes != null ? `billed ${duration(t.consumed_minutes)}` : `so far ${duration(t.projected_consumption_minutes)}`;
          return (
            <li key={t.ticket_id}>
              <a href={`#/tickets/${seg(t.ticket_id)}`}>{t.title}</a>
              <span class={`pill ${t.status}`}>{words(t.status)}</span>
              <span class="muted">{` opened ${when(t.opened_at)} · ${used}`}</span>
            </li>
          );
        })}
      </ul>
      <button type="button" class="secondary" hidden={!cursor} onClick={() => void page(cursor, items)}>
        More tickets
      </button>
    </section>
  );
}
