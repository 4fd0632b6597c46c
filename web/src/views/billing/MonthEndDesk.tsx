// SPEC W4, M1, M2: a month's run as billing sees it (GET /month-ends/{yyyy-mm}) - planned, closed and failed
// accounts (each failure with its account and why), invoices by kind with their totals - and a run, or a re-run
// (POST .../run: accounts already closed are skipped, so nothing is made twice).
import { useState } from "preact/hooks";
import { get, post, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { lastMonths, money, monthName, when } from "../../format";
import { useData, useReload } from "../portal/data";
import { Failure, Loading } from "../portal/Failure";
import { BillingForm } from "./BillingForm";
import type { MonthEnd } from "./model";

const KINDS: Record<string, string> = {
  postpay: "Post-pay support",
  plan: "Support plans (monthly fees and overage)",
  auto_top_up: "Auto top-ups",
  recurring: "Recurring pre-pay",
};

function standing(m: MonthEnd): string {
  const { planned, closed, failed } = m.accounts;
  const of = planned != null ? ` of ${planned}` : "";
  switch (m.status) {
    case "not_run":
      return `${monthName(m.month)} has not been closed yet.`;
    case "running":
      return `Running since ${when(m.started_at)}: ${closed}${of} accounts closed so far${failed ? `, ${failed} failed` : ""}. Reload to follow it.`;
    case "done":
      return `Done: ${closed}${of} accounts closed.`;
    case "failed":
      return `${failed} account${failed === 1 ? "" : "s"} could not be closed (below, with why); ${closed}${of} were. Fix what is said, then run it again: accounts already closed are skipped.`;
  }
  return m.status;
}

function Run({ m }: { m: MonthEnd }) {
  const reload = useReload();
  const [asking, setAsking] = useState(false);
  const label = m.status === "not_run" ? `Run the month end for ${monthName(m.month)}` : "Run it again";
  if (!asking) {
    return (
      <p>
        <button type="button" id="run-ask" disabled={m.status === "running"} onClick={() => setAsking(true)}>
          {`${label}…`}
        </button>
      </p>
    );
  }
  return (
    <BillingForm
      id="run-form"
      class="confirm"
      label={label}
      action={async () => {
        await post(`/month-ends/${seg(m.month)}/run`);
        setAsking(false);
        reload(1000);
        return "Started: the page follows it.";
      }}
      extra={
        <button type="button" class="secondary" onClick={() => setAsking(false)}>
          Not now
        </button>
      }
    >
      <p>
        {`Every account's ${monthName(m.month)} is closed: post-pay and plan fees invoiced, members' free hours for the next month granted. An account already closed is skipped, so nothing is invoiced twice.`}
      </p>
    </BillingForm>
  );
}

export function MonthEndDesk({ month }: { month: string }) {
  const { data, error } = useData(() => get<MonthEnd>(`/month-ends/${seg(month)}`), [month]);
  const months = lastMonths(7).slice(0, 6).reverse(); // the ended months, newest first
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <Heading>{`Month end: ${monthName(month)}`}</Heading>
      <p class="tabs">
        {months.map((m) => (
          <a href={`#/billing/month-ends/${m}`} aria-current={m === month ? "page" : undefined}>
            {monthName(m)}
          </a>
        ))}
      </p>
      <p id="month-status" class={`notice month-${data.status}`}>
        {standing(data)}
      </p>
      {data.invoices.length ? (
        <table id="month-invoices" class="queue">
          <caption>Invoices made</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Invoices</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {data.invoices.map((i) => (
              <tr>
                <td data-label="Kind">{KINDS[i.kind] || i.kind}</td>
                <td data-label="Invoices">{i.count}</td>
                <td data-label="Total">{money(i.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : data.status === "not_run" ? null : (
        <p class="muted">No invoices were made.</p>
      )}
      {data.failures.length ? (
        <section aria-labelledby="failures-h">
          <h2 id="failures-h">Accounts that could not be closed</h2>
          <ul id="month-failures" class="tickets">
            {data.failures.map((f) => (
              <li>
                <a href={`#/billing/accounts/${seg(f.account_id)}`}>{f.account_name || "An account"}</a>
                <span>{f.reason}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <Run m={data} />
    </>
  );
}
