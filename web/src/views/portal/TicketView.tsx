// A ticket (SPEC W1, T6, C6, S1, V1): how its time is billed, its service level, credit-backs and every time
// entry with its multipliers; its conversation (SPEC W5); the customer questions an entry, staff respond, billing
// resolves and credits back.
import { get, seg } from "../../api";
import type { Me } from "../../auth";
import { Heading } from "../../components/Heading";
import { duration, when, words } from "../../format";
import type { Account, Entry, PlanTable, Ticket } from "../../types";
import { useData } from "./data";
import { Dispute } from "./Dispute";
import { Failure, Loading } from "./Failure";
import { useMe } from "./me";
import { SlaPill } from "./Sla";
import { Conversation } from "./Conversation";
import { CreditBackForm, ResponseForms } from "./StaffTicketForms";
import { TicketDesk } from "../desk/TicketDesk";
import { segmentsText } from "../desk/times";
import { VoidEntry, VoidedNote } from "../desk/VoidEntry";

// SPEC T6: the onsite minimum of the account's plan (GET /plans), only for a ticket with onsite or travel work;
// 0 when it does not apply, so a member's remote ticket is not told about a rule that is not its.
async function onsiteMinimum(t: Ticket): Promise<number> {
  if (!(t.entries || []).some((e) => e.work_type === "onsite" || e.work_type === "travel")) return 0;
  const [account, table] = await Promise.all([get<Account>(`/accounts/${seg(t.account_id)}`), get<PlanTable>("/plans")]);
  const plan = table.plans.find((p) => p.plan === account.plan);
  return plan?.onsite_minimum_minutes || 0;
}

async function load(ticketId: string, staff: boolean) {
  const ticket = await get<Ticket>(`/tickets/${seg(ticketId)}`);
  // closed: how it was billed; open, for the desk: what the close will consume (SPEC W3)
  const minimum = (ticket.status === "closed" || staff) && !ticket.visit_id ? await onsiteMinimum(ticket) : 0;
  return { ticket, minimum };
}

function rounding(t: Ticket, minimum: number): string {
  if (t.visit_id) {
    // SPEC V1: a visit's ticket is paid by the visit, nothing comes off the balance
    return `An onsite visit, paid for on its own: time on site ${duration(t.weighted_minutes)}; nothing comes off the hours balance.`;
  }
  if (t.status !== "closed") {
    return `Weighted so far ${duration(t.weighted_minutes)}; with the ticket's rounding this is ${duration(t.projected_consumption_minutes)} if it closed now.`;
  }
  const rules = minimum ? `half hours, onsite and travel counted as at least ${duration(minimum)}` : "rounded up to the half hour";
  // C6: the post-pay billed is what is left after credit-backs took minutes off it (as the statement has it).
  const reduced = t.postpay_credited_back_minutes || 0;
  const postpay = (t.postpay_minutes || 0) - reduced;
  const less = reduced ? ` (${duration(t.postpay_minutes)} less ${duration(reduced)} credited back)` : "";
  const postpayText = t.postpay_minutes ? `, ${duration(postpay)} post-pay${less}` : "";
  return `Weighted ${duration(t.weighted_minutes)}; billed ${duration(t.consumed_minutes)} (${rules}) — ${duration(t.debited_minutes)} from the balance${postpayText}.`;
}


// SPEC C6: each credit-back, when, how much and where its minutes went (off the post-pay not yet invoiced
// first, then back to the balance), and why.
function CreditBacks({ t, me }: { t: Ticket; me: Me }) {
  if (!(t.credit_backs || []).length) {
    // tickets credited before each credit-back was recorded: the total only
    return t.credited_back_minutes ? <p>{`Credited back: ${duration(t.credited_back_minutes)}.`}</p> : null;
  }
  const balance = me.role === "customer" ? "back to your balance" : "back to the balance";
  return (
    <section id="credit-backs" aria-labelledby="cbs-h">
      <h2 id="cbs-h">{`Credited back (${duration(t.credited_back_minutes)})`}</h2>
      <ul>
        {(t.credit_backs || []).map((c) => {
          const where = [
            c.postpay_reduced_minutes ? `${duration(c.postpay_reduced_minutes)} off the post-pay` : null,
            c.balance_credited_minutes ? `${duration(c.balance_credited_minutes)} ${balance}` : null,
          ]
            .filter(Boolean)
            .join(", ");
          return <li class="credit-back">{`${when(c.at)} · ${duration(c.minutes)} (${where}) — “${c.reason}”`}</li>;
        })}
      </ul>
    </section>
  );
}

function EntryItem({ t, e, desk }: { t: Ticket; e: Entry; desk: boolean }) {
  const ticketId = t.ticket_id;
  return (
    <li class={e.voided ? "entry voided" : "entry"} data-entry={e.entry_id}>
      <dl>
        <dt>Start</dt>
        <dd>{when(e.started_at)}</dd>
        <dt>Time</dt>
        <dd>{duration(e.minutes)}</dd>
        <dt>Work</dt>
        <dd>{e.work_type}</dd>
        <dt>Multipliers</dt>
        <dd class="multipliers">{segmentsText(e.segments)}</dd>
        <dt>Weighted</dt>
        <dd>{duration(e.weighted_minutes)}</dd>
        <dt>Note</dt>
        <dd>{e.note}</dd>
        <dt>Technician</dt>
        <dd>{e.technician_name || "a technician"}</dd>
      </dl>
      <VoidedNote entry={e} />
      {desk ? <VoidEntry ticketId={ticketId} accountId={t.account_id} entry={e} /> : null}
      {e.voided ? null : <Dispute ticketId={ticketId} entry={e} />}
    </li>
  );
}

export function TicketView({ ticketId }: { ticketId: string }) {
  const me = useMe();
  const { data, error } = useData(() => load(ticketId, me.role === "staff"), [ticketId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const { ticket: t, minimum } = data;
  const entries = t.entries || [];
  const voided = entries.filter((e) => e.voided).length;
  return (
    <>
      <p>
        <a href={`#/accounts/${seg(t.account_id)}`}>{`← ${t.account_name || "Account"}`}</a>
      </p>
      <Heading>{t.title}</Heading>
      <p>
        <span class={`pill ${t.status}`}>{words(t.status)}</span>
        {` ${t.priority} priority · opened ${when(t.opened_at)}${t.opened_by_name ? ` by ${t.opened_by_name}` : ""}`}
        {t.closed_at ? ` · closed ${when(t.closed_at)}` : ""}
        {t.emergency ? " · emergency" : ""}
        {t.waiting ? " · waiting on the customer" : ""}
        {t.reference ? ` · ${t.reference}` : ""}
      </p>
      {t.description ? (
        <section id="description" aria-label="Description">
          <p class="description">{t.description}</p>
        </section>
      ) : null}
      <p id="rounding">{rounding(t, minimum)}</p>
      {t.sla_status ? (
        <p id="sla">
          <SlaPill status={t.sla_status} />
          {t.response_due_at ? ` — due ${when(t.response_due_at)}` : ""}
          {t.first_response_at ? ` · first response ${when(t.first_response_at)}` : ""}
        </p>
      ) : null}
      <Conversation ticket={t} me={me} />
      <CreditBacks t={t} me={me} />
      <h2>{`Time entries (${entries.length}${voided ? `, ${voided} voided` : ""})`}</h2>
      {entries.length ? (
        <ol class="entries">
          {entries.map((e) => (
            <EntryItem key={e.entry_id} t={t} e={e} desk={me.role === "staff" && t.status === "open"} />
          ))}
        </ol>
      ) : (
        <p class="muted">No time logged yet.</p>
      )}
      {me.role === "staff" ? <TicketDesk ticket={t} onsiteMinimum={minimum} /> : null}
      {me.role === "staff" && t.status !== "closed" ? <ResponseForms ticket={t} /> : null}
      {me.billing && t.status === "closed" ? <CreditBackForm ticket={t} /> : null}
    </>
  );
}
