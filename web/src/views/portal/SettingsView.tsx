// Auto top-up and the low-balance e-mail (SPEC O4, N1): PUT /accounts/{id}/auto-top-up.
import { get, put, seg } from "../../api";
import { ActionForm } from "../../components/ActionForm";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import type { Account } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";

const hoursValue = (minutes: number | null | undefined) => (minutes == null ? "" : String(minutes / 60));

export function SettingsView({ accountId }: { accountId: string }) {
  const { data: a, error } = useData(() => get<Account>(`/accounts/${seg(accountId)}`), [accountId]);
  if (error) return <Failure error={error} />;
  if (!a) return <Loading />;
  const t = a.auto_top_up;
  async function save(data: FormData) {
    const saved = await put<Account>(`/accounts/${seg(accountId)}/auto-top-up`, {
      enabled: data.get("enabled") === "on",
      notify_low_balance: data.get("notify_low_balance") === "on",
      threshold_minutes: Math.round(Number(data.get("threshold")) * 60),
      amount_minutes: Math.round(Number(data.get("amount")) * 60),
    });
    return `Saved: auto top-up ${saved.auto_top_up.enabled ? "on" : "off"}, low-balance e-mail ${saved.notify_low_balance ? "on" : "off"}.`;
  }
  return (
    <>
      <Heading>Auto top-up and low-balance e-mail</Heading>
      <p>
        When the balance falls below the threshold, Hourbank can buy more hours for you (an invoice you pay, or your
        card is charged) and e-mail you once.
      </p>
      <ActionForm id="settings-form" label="Save settings" action={save}>
        <div class="choice">
          <input type="checkbox" name="enabled" id="enabled" defaultChecked={t.enabled} />
          <label for="enabled">Buy hours automatically</label>
        </div>
        <Field label="When the balance falls below (hours)" help="0 to 166 hours.">
          {(p) => (
            <input {...p} name="threshold" type="number" min="0" step="0.5" inputMode="decimal" required defaultValue={hoursValue(t.threshold_minutes)} />
          )}
        </Field>
        <Field label="Buy (hours)" help="At least 1 hour, in half hours.">
          {(p) => (
            <input {...p} name="amount" type="number" min="0" step="0.5" inputMode="decimal" required defaultValue={hoursValue(t.amount_minutes)} />
          )}
        </Field>
        <div class="choice">
          <input type="checkbox" name="notify_low_balance" id="notify" defaultChecked={a.notify_low_balance} />
          <label for="notify">E-mail me when the balance is low</label>
        </div>
      </ActionForm>
    </>
  );
}
