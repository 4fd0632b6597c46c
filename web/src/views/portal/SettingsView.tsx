// Auto top-up and the low-balance e-mail (SPEC O4, O5): PUT /accounts/{id}/auto-top-up; the e-mails a customer
// chooses (SPEC N1): PUT /accounts/{id}/notifications.
import { get, put, seg } from "../../api";
import { ActionForm } from "../../components/ActionForm";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import type { Account, Notifications } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";

const hoursValue = (minutes: number | null | undefined) => (minutes == null ? "" : String(minutes / 60));

async function load(accountId: string) {
  const [account, chosen] = await Promise.all([
    get<Account>(`/accounts/${seg(accountId)}`),
    get<Notifications>(`/accounts/${seg(accountId)}/notifications`),
  ]);
  return { account, chosen };
}

export function SettingsView({ accountId }: { accountId: string }) {
  const { data, error } = useData(() => load(accountId), [accountId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const a = data.account;
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
      <MailChoices accountId={accountId} chosen={data.chosen} />
    </>
  );
}

const SWITCHES: [keyof Notifications, string, string][] = [
  ["ticket_updates", "Ticket updates", "A ticket received, a technician's message, the answer to a question about time."],
  ["receipts", "Receipts", "When a ticket closes (every minute, what came off the balance) and for each payment."],
  ["statements", "Monthly statements", "When a month's statement is ready."],
];

/** SPEC N1: the three switches; the mails about paying (awaiting credit, a visit's payment link) always go. */
function MailChoices({ accountId, chosen }: { accountId: string; chosen: Notifications }) {
  async function save(data: FormData) {
    const body = Object.fromEntries(SWITCHES.map(([name]) => [name, data.get(name) === "on"])) as unknown as Notifications;
    const saved = await put<Notifications>(`/accounts/${seg(accountId)}/notifications`, body);
    const on = SWITCHES.filter(([name]) => saved[name]).map(([, label]) => label.toLowerCase());
    return on.length ? `Saved: we will e-mail ${on.join(", ")}.` : "Saved: only the e-mails about paying will come.";
  }
  return (
    <>
      <h2 id="mail-choices-h">E-mails we send you</h2>
      <p>
        Choose what we e-mail to the account's contacts. E-mails about paying (a ticket waiting for credit, a visit's
        payment link) always come.
      </p>
      <ActionForm id="mail-choices" label="Save e-mail choices" action={save}>
        {SWITCHES.map(([name, label, help]) => (
          <div key={name}>
            <div class="choice">
              <input type="checkbox" name={name} id={`mail-${name}`} defaultChecked={chosen[name]} aria-describedby={`mail-${name}-help`} />
              <label for={`mail-${name}`}>{label}</label>
            </div>
            <p class="help" id={`mail-${name}-help`}>
              {help}
            </p>
          </div>
        ))}
      </ActionForm>
    </>
  );
}
