// SPEC W4: one account on billing's desk - who it is, its plan (and changing it), hours bought by phone, grants
// and corrections, and its onsite visits; its tickets, statements and invoices are the account's own pages.
import { get, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { duration, when } from "../../format";
import { useData } from "../portal/data";
import { Failure, Loading } from "../portal/Failure";
import { AdjustForm, PlanForm } from "./AccountForms";
import { Agreements, Payments, Visits } from "./AccountLists";
import { Invitations } from "./Invitations";
import type { BillingAccount, Prices } from "./model";
import { BookVisit } from "./VisitForms";

async function load(accountId: string) {
  const [account, prices] = await Promise.all([get<BillingAccount>(`/accounts/${seg(accountId)}`), get<Prices>("/plans")]);
  return { account, prices };
}

export function AccountDesk({ accountId, query }: { accountId: string; query: Record<string, string> }) {
  const { data, error } = useData(() => load(accountId), [accountId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const { account, prices } = data;
  const base = `#/accounts/${seg(account.account_id)}`;
  return (
    <>
      <Heading>{account.name}</Heading>
      {query.opened ? (
        <p id="invitation" class="notice" role="status">
          {`The account is open. An invitation to sign in was e-mailed to ${account.email}.`}
        </p>
      ) : null}
      <dl class="summary" id="account-summary">
        <dt>E-mail</dt>
        <dd>{account.email}</dd>
        <dt>Balance</dt>
        <dd id="balance">{`${duration(account.balance_minutes)} (available ${duration(account.available_minutes)})`}</dd>
        <dt>Currency</dt>
        <dd>{account.currency}</dd>
        <dt>Timezone</dt>
        <dd>{account.timezone ? account.timezone.replace(/_/g, " ") : "The company's"}</dd>
        <dt>Opened</dt>
        <dd>{when(account.created_at)}</dd>
      </dl>
      <p class="links">
        <a href={base}>Tickets and usage</a> · <a href={`${base}/statements`}>Statements</a> · <a href={`${base}/invoices`}>Invoices</a>
      </p>
      <Invitations accountId={account.account_id} opened={account.created_at} />
      <PlanForm account={account} prices={prices} />
      <AdjustForm account={account} prices={prices} />
      <Payments accountId={account.account_id} />
      <Agreements accountId={account.account_id} />
      <section aria-labelledby="visits-h">
        <h2 id="visits-h">Onsite visits</h2>
        <Visits accountId={account.account_id} />
        <h3>Book one</h3>
        {prices.plans.find((p) => p.plan === account.plan)?.work_types.includes("onsite") ? (
          <BookVisit account={account} prices={prices} />
        ) : (
          <p class="muted">This plan has no onsite work: change the plan first to book a visit.</p>
        )}
      </section>
    </>
  );
}
