// An account's tickets, newest first, filtered by status, ten at a time (GET /accounts/{id}/tickets).
import { useContext, useEffect, useState } from "preact/hooks";
import { get, seg } from "../../api";
import { Field } from "../../components/Field";
import { duration, when, words } from "../../format";
import type { Page, TicketSummary } from "../../types";
import { ReloadContext } from "./data";

const FILTERS = [
  ["", "All"],
  ["open", "Open"],
  ["awaiting_credit", "Waiting for credit"],
  ["closed", "Closed"],
];

export function TicketList({ accountId }: { accountId: string }) {
  const { version } = useContext(ReloadContext);
  const [status, setStatus] = useState("");
  const [items, setItems] = useState<TicketSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);

  async function page(from: string | null, keep: TicketSummary[]) {
    const reply = await get<Page<TicketSummary>>(`/accounts/${seg(accountId)}/tickets`, { status, limit: 10, cursor: from });
    setItems([...keep, ...reply.items]);
    setCursor(reply.cursor || null);
  }

  useEffect(() => {
    void page(null, []);
  }, [accountId, status, version]);

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
      <ul class="tickets" id="ticket-list" aria-busy={items ? undefined : "true"}>
        {items ? null : <li class="muted">Loading the tickets…</li>}
        {items && !items.length ? <li class="muted">No tickets.</li> : null}
        {(items || []).map((t) => {
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
      <button type="button" class="secondary" hidden={!cursor} onClick={() => void page(cursor, items || [])}>
        More tickets
      </button>
    </section>
  );
}
