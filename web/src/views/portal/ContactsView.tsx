// The people who sign in to an account (SPEC W1, O7): each contact with their invitation and sign-in in words;
// billing and the account's owner invite more, send an invitation again, or remove someone (after a sentence
// that says what removing does). Other contacts and technicians read the list.
import { useState } from "preact/hooks";
import { del, get, post, seg } from "../../api";
import { ActionForm } from "../../components/ActionForm";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { when } from "../../format";
import type { Account, Contact, Page } from "../../types";
import { useData, useReload } from "./data";
import { Failure, Loading } from "./Failure";
import { useMe } from "./me";
import type { Me } from "../../auth";

async function load(accountId: string) {
  const [account, contacts] = await Promise.all([
    get<Account>(`/accounts/${seg(accountId)}`),
    get<Page<Contact>>(`/accounts/${seg(accountId)}/contacts`),
  ]);
  return { account, contacts: contacts.items };
}

/** API.md: billing, or the account's owner - the customer signed in with the account's own address. */
function mayManage(me: Me, account: Account): boolean {
  if (me.billing) return true;
  return me.role === "customer" && !!me.email && me.email.trim().toLowerCase() === account.email.trim().toLowerCase();
}

function stateText(c: Contact): string {
  const invited = c.owner ? `Invited when the account was opened, ${when(c.invited_at)}` : `Invited ${when(c.invited_at)}`;
  return c.signed_in_at ? `${invited}. Signed in ${when(c.signed_in_at)}.` : `${invited}. Has not signed in yet.`;
}

function ContactItem({ accountId, c, manage }: { accountId: string; c: Contact; manage: boolean }) {
  const reload = useReload();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);
  const path = `/accounts/${seg(accountId)}/contacts/${seg(c.contact_id)}`;

  async function run(action: () => Promise<string>) {
    setBusy(true);
    try {
      setSaid({ ok: true, text: await action() });
    } catch (error) {
      setSaid({ ok: false, text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  }
  const resend = () =>
    run(async () => {
      await post<Contact>(`${path}/invitation`);
      return `The invitation was e-mailed again to ${c.email}.`;
    });
  const remove = () =>
    run(async () => {
      await del<null>(path);
      setAsking(false);
      reload(0);
      return `${c.name} was removed and can no longer sign in.`;
    });

  return (
    <li data-contact={c.email}>
      <div class="who">
        <p>
          <strong>{c.name}</strong> {c.owner ? <span class="pill">owner</span> : null}
        </p>
        <p>{c.email}</p>
        <p class="muted">{stateText(c)}</p>
        {asking ? (
          <p class="confirm" role="alert">
            {`Remove ${c.name} (${c.email})? They will no longer be able to sign in to this account, and their address can then be invited elsewhere.`}
          </p>
        ) : null}
        <p class={`form-result ${said ? (said.ok ? "ok" : "error") : ""}`} role="status" aria-live="polite">
          {said?.text}
        </p>
      </div>
      {manage ? (
        <div class="actions">
          {!c.signed_in_at && !asking ? (
            <button type="button" class="secondary" disabled={busy} onClick={() => void resend()} aria-label={`Send the invitation again to ${c.name}`}>
              Send the invitation again
            </button>
          ) : null}
          {!c.owner && !asking ? (
            <button type="button" class="secondary" disabled={busy} onClick={() => setAsking(true)} aria-label={`Remove ${c.name}…`}>
              Remove…
            </button>
          ) : null}
          {asking ? (
            <>
              <button type="button" disabled={busy} onClick={() => void remove()} aria-label={`Remove ${c.name}`}>
                Remove
              </button>
              <button type="button" class="secondary" onClick={() => setAsking(false)}>
                Keep
              </button>
            </>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

function InviteForm({ accountId }: { accountId: string }) {
  const reload = useReload();
  async function invite(data: FormData) {
    const made = await post<Contact>(`/accounts/${seg(accountId)}/contacts`, {
      name: String(data.get("name") || "").trim(),
      email: String(data.get("email") || "").trim(),
    });
    reload(0);
    return `Invited ${made.name}: the invitation was e-mailed to ${made.email}.`;
  }
  return (
    <section aria-labelledby="invite-h">
      <h2 id="invite-h">Invite someone</h2>
      <ActionForm id="invite-form" label="Invite" action={invite}>
        <div class="row">
          <Field label="Their name">{(p) => <input {...p} name="name" type="text" maxLength={200} required autocomplete="name" />}</Field>
          <Field label="Their e-mail address" help="They sign in with it. An address can belong to one account only.">
            {(p) => <input {...p} name="email" type="email" maxLength={128} required autocomplete="email" spellcheck={false} />}
          </Field>
        </div>
      </ActionForm>
    </section>
  );
}

export function ContactsView({ accountId }: { accountId: string }) {
  const me = useMe();
  const { data, error } = useData(() => load(accountId), [accountId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  const { account, contacts } = data;
  const manage = mayManage(me, account);
  return (
    <>
      <Heading>Who signs in to {account.name}</Heading>
      <p>
        Everyone listed signs in to this account with their own e-mail address and sees its hours, tickets and
        statements. The owner is the account's own address.
      </p>
      <ul class="contacts" id="contacts" aria-label="Contacts">
        {contacts.map((c) => (
          <ContactItem key={c.contact_id} accountId={account.account_id} c={c} manage={manage} />
        ))}
      </ul>
      {manage ? (
        <InviteForm accountId={account.account_id} />
      ) : (
        <p class="muted" id="contacts-note">{`Only billing or the account's owner (${account.email}) can invite or remove people.`}</p>
      )}
    </>
  );
}
