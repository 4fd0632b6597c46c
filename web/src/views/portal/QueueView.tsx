// SPEC W2: the open-ticket queue, the ticket due first on top (GET /tickets, one index page at a time). On a
// phone each row stacks into a card, each cell labelled from data-label (portal.css), not a wide table.
import type { ComponentChildren } from "preact";
import { get, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { duration, when } from "../../format";
import type { Page, TicketSummary } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";
import { SlaPill } from "./Sla";

const COLUMNS = ["Response due", "Service level", "Ticket", "Priority", "Account", "Time logged"];
const TABS = [
  ["open", "Open"],
  ["awaiting_credit", "Awaiting credit"],
];

function cells(t: TicketSummary): ComponentChildren[] {
  return [
    t.response_due_at ? when(t.response_due_at) : "—",
    t.sla_status ? <SlaPill status={t.sla_status} /> : "—",
    <a href={`#/tickets/${seg(t.ticket_id)}`}>{t.title}</a>,
    t.priority,
    <a href={`#/accounts/${seg(t.account_id)}`}>{t.account_name || t.account_id}</a>,
    duration(t.weighted_minutes),
  ];
}

export function QueueView({ query }: { query: Record<string, string> }) {
  const status = query.status === "awaiting_credit" ? "awaiting_credit" : "open";
  const { data, error } = useData(
    () => get<Page<TicketSummary>>("/tickets", { status, limit: 25, cursor: query.cursor }),
    [status, query.cursor],
  );
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <Heading>Ticket queue</Heading>
      <p class="tabs">
        {TABS.map(([value, text]) => (
          <a href={`#/queue?status=${value}`} aria-current={value === status ? "page" : undefined} class="tab">
            {text}
          </a>
        ))}
      </p>
      <div class="table-wrap">
        {data.items.length ? (
          <table id="queue" class="queue">
            <caption>{status === "open" ? "Open tickets, the one due first on top" : "Tickets waiting for credit"}</caption>
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th scope="col">{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.items.map((t) => (
                <tr data-ticket={t.ticket_id} key={t.ticket_id}>
                  {cells(t).map((cell, i) => (
                    <td data-label={COLUMNS[i]}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted" id="queue-empty">
            No tickets here.
          </p>
        )}
      </div>
      {data.cursor ? (
        <p>
          <a id="queue-next" href={`#/queue?${new URLSearchParams({ status, cursor: data.cursor })}`}>
            Next page →
          </a>
        </p>
      ) : null}
    </>
  );
}
