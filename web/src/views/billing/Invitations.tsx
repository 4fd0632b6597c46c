// SPEC W4, W1: who signs in to the account (GET /accounts/{id}/contacts) - each one's invitation, when it went
// and whether they have signed in - and the invitation again for whoever has not (POST .../invitation).
import { get, post, seg } from "../../api";
import { when } from "../../format";
import { useData, useReload } from "../portal/data";
import { BillingForm } from "./BillingForm";

interface Contact {
  contact_id: string;
  name: string;
  email: string;
  owner: boolean;
  invited_at?: string | null;
  signed_in_at?: string | null;
}

function standing(c: Contact, opened: string | null | undefined): string {
  if (c.signed_in_at) return `signed in ${when(c.signed_in_at)}`;
  const sent = c.invited_at || (c.owner ? opened : null);
  return sent ? `invited ${when(sent)}, not signed in yet` : "not signed in yet";
}

export function Invitations({ accountId, opened }: { accountId: string; opened?: string | null }) {
  const reload = useReload();
  const { data, error } = useData(() => get<{ items: Contact[] }>(`/accounts/${seg(accountId)}/contacts`), [accountId]);
  return (
    <section aria-labelledby="contacts-h">
      <h2 id="contacts-h">Who signs in</h2>
      {error ? <p class="errors">{`The people of this account could not be read (${error.message}). Reload the page to try again.`}</p> : null}
      <ul id="contacts" class="tickets">
        {(data?.items || []).map((c) => (
          <li key={c.contact_id} class="contact">
            <span>
              <strong>{c.name}</strong>
              {` ${c.email}${c.owner ? " (the account's own address)" : ""}`}
            </span>
            <span class="muted">{standing(c, opened)}</span>
            {c.signed_in_at ? null : (
              <BillingForm
                class="resend-form"
                label="Send the invitation again"
                action={async () => {
                  await post(`/accounts/${seg(accountId)}/contacts/${seg(c.contact_id)}/invitation`);
                  reload(300);
                  return `The invitation went again to ${c.email}.`;
                }}
              />
            )}
          </li>
        ))}
      </ul>
      <p>
        <a href={`#/accounts/${seg(accountId)}/contacts`} id="manage-contacts">
          Invite someone else, or remove someone
        </a>
      </p>
    </section>
  );
}
