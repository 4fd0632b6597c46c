// SPEC W4, W1, O7: billing opens an account - name, e-mail, plan, currency, timezone (POST /accounts); its
// customer is invited to sign in as it opens, and the account's page says so.
import { useState } from "preact/hooks";
import { get, post } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { minorMoney } from "../../format";
import { useData } from "../portal/data";
import { BillingForm } from "./BillingForm";
import type { BillingAccount, PlanPrices, Prices } from "./model";

/** A plan in a sentence, from the price table: "Member — $150.00 an hour pre-paid, post-pay at $150.00 an hour". */
export function planWords(p: PlanPrices, currency: string): string {
  const parts: string[] = [];
  if (p.monthly_fee_minor) parts.push(`${minorMoney(p.monthly_fee_minor, currency)} a month`);
  if (p.included_minutes) parts.push(`${p.included_minutes / 60} h included`);
  if (p.prepay_rate_minor) parts.push(`${minorMoney(p.prepay_rate_minor, currency)} an hour pre-paid`);
  if (p.postpay_rate_minor) parts.push(`post-pay at ${minorMoney(p.postpay_rate_minor, currency)} an hour`);
  return `${p.title || p.plan}${parts.length ? ` — ${parts.join(", ")}` : ""}`;
}

function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  return intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
}

export function OpenAccount() {
  const { data: prices } = useData(() => get<Prices>("/plans"), []);
  const [plan, setPlan] = useState("member");
  const chosen = prices?.plans.find((p) => p.plan === plan);
  const currency = prices?.currency || "USD";
  return (
    <>
      <Heading>Open an account</Heading>
      <p class="muted">The customer is e-mailed an invitation to sign in as soon as the account opens.</p>
      <BillingForm
        id="open-account-form"
        label="Open the account"
        keep
        action={async (data) => {
          const zone = String(data.get("timezone") || "");
          const account = await post<BillingAccount>("/accounts", {
            name: String(data.get("name") || "").trim(),
            email: String(data.get("email") || "").trim(),
            plan: data.get("plan"),
            currency: data.get("currency"),
            ...(zone ? { timezone: zone } : {}),
          });
          window.location.hash = `#/billing/accounts/${encodeURIComponent(account.account_id)}?opened=1`;
          return `${account.name} is open.`;
        }}
      >
        <Field id="account-name" label="Name">
          {(p) => <input {...p} name="name" type="text" required maxLength={200} autocomplete="off" />}
        </Field>
        <Field id="account-email" label="E-mail" help="The address the invitation goes to; one address belongs to one account.">
          {(p) => <input {...p} name="email" type="email" required maxLength={128} autocomplete="off" />}
        </Field>
        <Field id="account-plan" label="Plan" help={chosen ? planWords(chosen, currency) : undefined}>
          {(p) => (
            <select {...p} name="plan" required value={plan} onChange={(e) => setPlan((e.currentTarget as HTMLSelectElement).value)}>
              {(prices?.plans || []).map((option) => (
                <option value={option.plan}>{option.title || option.plan}</option>
              ))}
            </select>
          )}
        </Field>
        <div class="row">
          <Field id="account-currency" label="Currency" help="Plans are priced in this currency.">
            {(p) => (
              <select {...p} name="currency">
                <option value={currency}>{currency}</option>
              </select>
            )}
          </Field>
          <Field id="account-timezone" label="Timezone" help="Business hours on its plan follow it.">
            {(p) => (
              <select {...p} name="timezone">
                <option value="">The company's timezone</option>
                {zones().map((z) => (
                  <option value={z}>{z.replace(/_/g, " ")}</option>
                ))}
              </select>
            )}
          </Field>
        </div>
      </BillingForm>
    </>
  );
}
