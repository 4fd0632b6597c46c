// SPEC W2: the open-ticket queue, the ticket due first on top (GET /tickets, one index page at a time). On a
// phone each row stacks into a card, each cell labelled from data-label (portal.css), not a wide table.
import type { ComponentChildren } from "preact";
import { get, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { duration, when } from "../../format";
import type { Page, TicketSummary } from "../../types";
import { useData } from "./data";
import { useMe } from "./me";
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
    t.sla_status ? <SlaPill status={t.sla_status} /> : t.waiting ? "waiting on the customer" : "—",
    <>
      <a href={`#/tickets/${seg(t.ticket_id)}`}>{t.title}</a>
      {t.reference ? <span class="muted">{` ${t.reference}`}</span> : null}
    </>,
    t.priority,
    <a href={`#/accounts/${seg(t.account_id)}`}>{t.account_name || "the account"}</a>,
    duration(t.weighted_minutes),
  ];
}

/** SPEC W3: "mine" - the tickets this technician opened, where the queue says who did. */
function mine(items: TicketSummary[], sub: string | null): TicketSummary[] | null {
  if (!items.some((t) => "opened_by" in t)) return null;
  return items.filter((t) => t.opened_by === sub);
}

export function QueueView({ query, embedded = false }: { query: Record<string, string>; embedded?: boolean }) {
  const me = useMe();
  const status = query.status === "awaiting_credit" ? "awaiting_credit" : "open";
  const { data, error } = useData(
    () => get<Page<TicketSummary>>("/tickets", { status, limit: 25, cursor: query.cursor }),
    [status, query.cursor],
  );
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const own = mine(data.items, me.sub);
  const showMine = own !== null && query.who === "mine";
  const items = showMine ? own : data.items;
  const link = (params: Record<string, string>) => `#/queue?${new URLSearchParams({ status, ...params })}`;
  return (
    <>
      {embedded ? <h2>Ticket queue</h2> : <Heading>Ticket queue</Heading>}
      <p class="tabs">
        {TABS.map(([value, text]) => (
          <a href={`#/queue?status=${value}`} aria-current={value === status ? "page" : undefined} class="tab">
            {text}
          </a>
        ))}
        {own !== null
          ? [
              ["all", "All"],
              ["mine", "Mine"],
            ].map(([who, text]) => (
              <a href={link({ who })} class="tab" aria-current={(who === "mine") === showMine ? "page" : undefined}>
                {text}
              </a>
            ))
          : null}
        <a href="#/desk/new" class="tab new">
          Open a ticket
        </a>
      </p>
      <div class="table-wrap">
        {items.length ? (
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
              {items.map((t) => (
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
