// The account's recurring pre-pay agreement (SPEC O6, W1): hours a month, rate, next charge, term - and the way to
// Stripe's own customer portal to change the card it charges or see its invoices (never a card form of ours).
import { useState } from "preact/hooks";
import { get, post, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { money, when } from "../../format";
import type { Agreement, Page } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";

const STATES: Record<Agreement["status"], string> = {
  active: "Active",
  ending: "Ending at the end of the term",
  ended: "Ended",
};

function AgreementItem({ a }: { a: Agreement }) {
  return (
    <section class="agreement" aria-label={`Recurring agreement: ${a.hours_per_month} h a month`}>
      <h2>
        {a.hours_per_month} h every month <span class={`pill ${a.status}`}>{STATES[a.status]}</span>
      </h2>
      <dl>
        <dt>Price</dt>
        <dd>
          {money(a.monthly_price)} a month ({money(a.rate)} an hour)
        </dd>
        <dt>Started</dt>
        <dd>{when(a.started_at)}</dd>
        {a.status !== "ended" ? (
          <>
            <dt>Next charge</dt>
            <dd>{a.status === "ending" ? "None: the agreement ends first" : when(a.next_charge_at)}</dd>
          </>
        ) : null}
        <dt>Term</dt>
        <dd>{a.term_ends_at ? `Ends ${when(a.term_ends_at)}` : "Runs month to month until ended"}</dd>
        {a.end_reason ? (
          <>
            <dt>Why it ends</dt>
            <dd>{a.end_reason}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

export function AgreementView({ accountId }: { accountId: string }) {
  const [opening, setOpening] = useState(false);
  const [failed, setFailed] = useState("");
  const { data, error } = useData(
    () => get<Page<Agreement>>(`/accounts/${seg(accountId)}/agreements`),
    [accountId],
  );
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const openPortal = async () => {
    setOpening(true);
    setFailed("");
    try {
      const { url } = await post<{ url: string }>(`/accounts/${seg(accountId)}/billing-portal`);
      window.location.assign(url);
    } catch (e) {
      setFailed(`${(e as Error).message} If this goes on, write to billing.`);
      setOpening(false);
    }
  };
  return (
    <>
      <Heading>Recurring agreement</Heading>
      {data.items.length ? (
        data.items.map((a) => <AgreementItem key={a.agreement_id} a={a} />)
      ) : (
        <p class="muted">
          You have no recurring agreement. Members can buy hours every month at the recurring rate: choose "every month"
          when you <a href={`/?account=${seg(accountId)}`}>buy hours</a>.
        </p>
      )}
      <p>
        <button type="button" onClick={openPortal} disabled={opening}>
          {opening ? "Opening…" : "Update card / see invoices"}
        </button>
      </p>
      <p class="muted">Opens our card processor's (Stripe's) secure page, which brings you back here.</p>
      {failed ? (
        <p class="errors" role="alert">
          {failed}
        </p>
      ) : null}
    </>
  );
}
