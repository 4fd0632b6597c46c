// Billing's forms on an account (SPEC W4): change its plan, saying how the month end splits the month (as
// statements/monthly_statement.py does), and record a purchase by phone with the money received, a grant or a
// correction (POST /accounts/{id}/adjustments, once per submit: Idempotency-Key).
import { useEffect, useState } from "preact/hooks";
import { post, put, seg } from "../../api";
import { Field } from "../../components/Field";
import { duration, minorMoney, when } from "../../format";
import { useReload } from "../portal/data";
import { BillingForm, Mistake } from "./BillingForm";
import type { BillingAccount, Prices } from "./model";
import { toMinor } from "./model";
import { planWords } from "./OpenAccount";

/** SPEC M1/M3 in words: how the month end treats a month with a plan change (monthly_statement.plan_periods). */
export const SPLIT_WORDS =
  "At the month end the month is split by calendar days on each plan (in the company's timezone; the day of the " +
  "change counts for the new plan): monthly fees and included hours are prorated by those days, and each ticket is " +
  "charged under the plan it was closed on.";

export function PlanForm({ account, prices }: { account: BillingAccount; prices: Prices }) {
  const reload = useReload();
  const [choice, setChoice] = useState(account.plan); // kept across the reload after a change
  const [current, setCurrent] = useState(account.plan); // the plan as the last answer said, before the reload
  useEffect(() => setCurrent(account.plan), [account.plan]);
  const chosen = prices.plans.find((p) => p.plan === choice);
  const title = (plan: string) => prices.plans.find((p) => p.plan === plan)?.title || plan;
  const history = account.plan_changes || [];
  return (
    <section aria-labelledby="plan-h">
      <h2 id="plan-h">Plan</h2>
      <p id="plan-now">{`${title(account.plan)}.`}</p>
      {history.length > 1 ? (
        <ul id="plan-history" class="muted">
          {history.map((h) => (
            <li>{`${title(h.plan)} from ${when(h.since)}`}</li>
          ))}
        </ul>
      ) : null}
      <p class="help">{`A change applies from now. ${SPLIT_WORDS}`}</p>
      <BillingForm
        id="plan-form"
        label="Change plan"
        keep
        action={async (data) => {
          const plan = String(data.get("plan"));
          if (plan === current) return `It is already on ${title(plan)}.`;
          const next = await put<BillingAccount>(`/accounts/${seg(account.account_id)}/plan`, { plan });
          setCurrent(next.plan);
          reload(300);
          const off = account.auto_top_up.enabled && !next.auto_top_up.enabled ? " Auto top-up is now off: this plan buys no pre-paid hours." : "";
          return `Now on ${title(next.plan)} from today; until today it was on ${title(current)}. The month end splits this month by the days on each.${off}`;
        }}
      >
        <Field id="plan-choice" label="New plan" help={chosen ? planWords(chosen, prices.currency) : undefined}>
          {(p) => (
            <select {...p} name="plan" value={choice} onChange={(e) => setChoice((e.currentTarget as HTMLSelectElement).value)}>
              {prices.plans.map((plan) => (
                <option value={plan.plan}>{plan.title || plan.plan}</option>
              ))}
            </select>
          )}
        </Field>
      </BillingForm>
    </section>
  );
}

const KINDS = [
  ["purchase", "A purchase by phone (money received)"],
  ["grant", "A grant (free hours)"],
  ["adjustment", "A correction (adds or takes away)"],
] as const;

function minutesOf(data: FormData): number {
  const hours = Number(data.get("hours") || 0);
  const minutes = Number(data.get("minutes") || 0);
  const total = Math.round(hours * 60) + minutes;
  return data.get("direction") === "take" ? -total : total;
}

export function AdjustForm({ account, prices }: { account: BillingAccount; prices: Prices }) {
  const reload = useReload();
  const [kind, setKind] = useState<string>("purchase");
  const rate = prices.plans.find((p) => p.plan === account.plan)?.prepay_rate_minor;
  const currency = account.currency;
  return (
    <section aria-labelledby="adjust-h">
      <h2 id="adjust-h">Add or take off hours: a purchase by phone, a grant, a correction</h2>
      <BillingForm
        id="adjust-form"
        label="Record it"
        action={async (data) => {
          const minutes = minutesOf(data);
          if (!minutes) throw new Mistake("Enter the hours or minutes: it cannot be nothing.");
          let amount = null;
          if (kind === "purchase") {
            const minor = toMinor(String(data.get("amount") || ""), currency);
            if (minor === null || minor <= 0) throw new Mistake(`Enter the money received, e.g. 300.00 (${currency}).`);
            amount = { currency, amount_minor: minor };
          }
          const entry = await post<{ minutes: number; balance_after: number }>(
            `/accounts/${seg(account.account_id)}/adjustments`,
            { minutes, kind, reason: String(data.get("reason") || "").trim(), ...(amount ? { amount } : {}) },
            { "Idempotency-Key": crypto.randomUUID() },
          );
          reload(800);
          const paid = amount ? ` for ${minorMoney(amount.amount_minor, currency)} received` : "";
          return `Recorded: ${duration(entry.minutes)}${paid}. The balance is now ${duration(entry.balance_after)}.`;
        }}
      >
        <fieldset class="kinds">
          <legend>What is it?</legend>
          {KINDS.map(([value, text]) => (
            <label class="choice">
              <input type="radio" name="kind-choice" value={value} checked={kind === value} onChange={() => setKind(value)} />
              {` ${text}`}
            </label>
          ))}
        </fieldset>
        <div class="row">
          {kind === "adjustment" ? (
            <Field id="adjust-direction" label="Direction">
              {(p) => (
                <select {...p} name="direction">
                  <option value="add">Add to the balance</option>
                  <option value="take">Take off the balance</option>
                </select>
              )}
            </Field>
          ) : null}
          <Field id="adjust-hours" label="Hours">
            {(p) => <input {...p} name="hours" type="number" min="0" max="1666" step="0.5" inputMode="decimal" />}
          </Field>
          <Field id="adjust-minutes" label="and minutes">
            {(p) => <input {...p} name="minutes" type="number" min="0" max="59" step="1" inputMode="numeric" />}
          </Field>
          {kind === "purchase" ? (
            <Field
              id="adjust-amount"
              label={`Money received (${currency})`}
              help={rate ? `The plan's pre-paid rate is ${minorMoney(rate, currency)} an hour.` : undefined}
            >
              {(p) => <input {...p} name="amount" type="text" inputMode="decimal" required placeholder="300.00" />}
            </Field>
          ) : null}
        </div>
        <Field id="adjust-reason" label="Reason" help="The customer sees it on the statement.">
          {(p) => <input {...p} name="reason" type="text" required maxLength={2000} />}
        </Field>
      </BillingForm>
    </section>
  );
}
