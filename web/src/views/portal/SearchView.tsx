// Staff find an account by its e-mail (any case) or plan (SPEC W2): GET /accounts?email&plan.
import { useState } from "preact/hooks";
import { get, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { duration, words } from "../../format";
import type { AccountSummary, Page } from "../../types";
import { useData } from "./data";
import { Failure } from "./Failure";

const PLANS = ["", "non_member", "member", "business_priority", "unlimited_remote"];

async function search(email: string, plan: string): Promise<AccountSummary[] | null> {
  if (!email && !plan) return null;
  return (await get<Page<AccountSummary>>("/accounts", { email, plan, limit: 50 })).items;
}

export function SearchView({ query }: { query: Record<string, string> }) {
  const [email, setEmail] = useState(query.email || "");
  const [plan, setPlan] = useState(query.plan || "");
  const { data, error } = useData(() => search(query.email || "", query.plan || ""), [query.email, query.plan]);

  function submit(event: SubmitEvent) {
    event.preventDefault();
    window.location.hash = `#/search?${new URLSearchParams({ email: email.trim(), plan })}`;
  }

  return (
    <>
      <Heading>Find an account</Heading>
      <form id="search-form" role="search" onSubmit={submit}>
        <Field id="search-email" label="Customer e-mail">
          {(p) => (
            <input
              {...p}
              type="email"
              name="email"
              autocomplete="off"
              value={email}
              onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field id="search-plan" label="Plan">
          {(p) => (
            <select {...p} name="plan" value={plan} onChange={(e) => setPlan((e.currentTarget as HTMLSelectElement).value)}>
              {PLANS.map((value) => (
                <option value={value}>{value ? words(value) : "any plan"}</option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit">Find accounts</button>
      </form>
      <h2>Accounts</h2>
      {error ? <Failure error={error} /> : null}
      <ul id="results" class="tickets">
        {data && !data.length ? <li class="muted">No account has this e-mail.</li> : null}
        {(data || []).map((a) => (
          <li key={a.account_id}>
            <a href={`#/accounts/${seg(a.account_id)}`}>{a.name}</a>
            <span class="muted">{` ${a.email} · ${words(a.plan)} · balance ${duration(a.balance_minutes)}`}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
