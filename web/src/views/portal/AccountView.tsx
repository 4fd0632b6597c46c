// An account at a glance (SPEC W1): the balance, what is available and committed, auto top-up, the last 12
// months' usage, and its tickets; billing also adjusts the balance here.
import { get, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { UsageChart } from "../../components/UsageChart";
import { duration, lastMonths, when, words } from "../../format";
import type { Account, MailProblem, UsageMonth } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";
import { canBuy, useMe } from "./me";
import { StaffAdjust } from "./StaffAdjust";
import { loadTickets, TicketList } from "./TicketList";

async function load(accountId: string) {
  const months = lastMonths(12);
  const [account, usage, tickets] = await Promise.all([
    get<Account>(`/accounts/${seg(accountId)}`),
    get<{ months: UsageMonth[] }>(`/accounts/${seg(accountId)}/usage`, { from: months[0], to: months[months.length - 1] }),
    loadTickets(accountId, "", null),
  ]);
  return { account, usage, tickets };
}

export function AccountView({ accountId }: { accountId: string }) {
  const me = useMe();
  const { data, error } = useData(() => load(accountId), [accountId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const { account, usage, tickets } = data;
  const top = account.auto_top_up;
  const topUpText = top.enabled
    ? `On: when the balance falls below ${duration(top.threshold_minutes)}, ${duration(top.amount_minutes)} is bought.`
    : "Off.";
  return (
    <>
      <Heading>{account.name}</Heading>
      <p class="muted">{`Account ${account.account_id} · ${words(account.plan)} · ${account.email}`}</p>
      <p>
        <a href={`#/accounts/${seg(account.account_id)}/contacts`} id="contacts-link">
          Who signs in to this account (contacts)
        </a>
      </p>
      <section class="cards" aria-label="Hours remaining">
        <div class="card">
          <h2>Balance</h2>
          <p class="big" id="balance">
            {duration(account.balance_minutes)}
          </p>
        </div>
        <div class="card">
          <h2>Available</h2>
          <p class="big" id="available">
            {duration(account.available_minutes)}
          </p>
          <p class="help">The balance less the time committed to open tickets.</p>
        </div>
        <div class="card">
          <h2>Committed to open tickets</h2>
          <p class="big" id="committed">
            {duration(account.committed_minutes)}
          </p>
        </div>
        <div class="card">
          <h2>Auto top-up</h2>
          <p id="auto-top-up">{topUpText}</p>
          {top.pending_invoice_id ? <p class="help">{`Invoice ${top.pending_invoice_id} is waiting to be paid.`}</p> : null}
          {top.paused_until ? (
            <p class="help">{`Paused until ${when(new Date(top.paused_until * 1000).toISOString())}.`}</p>
          ) : null}
          <p class="help">{account.notify_low_balance ? "Low-balance e-mail: on." : "Low-balance e-mail: off."}</p>
        </div>
      </section>
      {account.flags.length ? <p class="notice">{`Flags: ${account.flags.join(", ")}`}</p> : null}
      {account.mail_problem ? <MailProblemNotice problem={account.mail_problem} /> : null}
      {canBuy(me) ? (
        <p>
          <a href={`/?account=${seg(account.account_id)}`} id="buy-hours" class="button">
            Buy hours
          </a>
        </p>
      ) : null}
      <section aria-labelledby="usage-h">
        <h2 id="usage-h">Usage, last 12 months</h2>
        <UsageChart months={usage.months} />
      </section>
      {me.role === "customer" ? (
        <p>
          <a href={`#/accounts/${seg(account.account_id)}/raise`} id="raise-ticket" class="button">
            Raise a ticket
          </a>
        </p>
      ) : null}
      {me.role === "staff" ? (
        <p>
          <a href={`#/desk/new?account=${seg(account.account_id)}`} id="open-ticket" class="button">
            Open a ticket for this account
          </a>
        </p>
      ) : null}
      {me.billing ? <StaffAdjust accountId={account.account_id} /> : null}
      <TicketList accountId={account.account_id} first={tickets} />
    </>
  );
}

/** SPEC N1: what SES said about one of the account's addresses, in words, with the next step. */
function MailProblemNotice({ problem }: { problem: MailProblem }) {
  const said: Record<MailProblem["kind"], string> = {
    bounce: `Mail to ${problem.address} bounced on ${when(problem.at)}: that mailbox does not accept mail. Hourbank no longer e-mails it; correct the address or add another contact.`,
    complaint: `${problem.address} marked our mail as spam on ${when(problem.at)}. Hourbank no longer e-mails it; ask the customer which address to use.`,
    transient_bounce: `Mail to ${problem.address} could not be delivered for now on ${when(problem.at)} (a full mailbox or a busy server). Hourbank keeps sending.`,
  };
  return (
    <p class="notice" id="mail-problem" role="status">
      {said[problem.kind] || `Mail to ${problem.address} had a problem on ${when(problem.at)}.`}
    </p>
  );
}
