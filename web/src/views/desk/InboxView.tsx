// SPEC E1: the mail the support address received and what became of it (GET /inbox, newest first), and the
// mail kept for staff - from an unknown address, unreadable, or refused at zero (C4) - assigned to an account
// (a ticket opens) or to a ticket by its reference (the mail becomes a message on it):
// POST /inbox/{mail_id}/assign. A mail's text is shown as text, never as HTML (STYLE 17).
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { get, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { when } from "../../format";
import type { AccountSummary, InboxItem, Page } from "../../types";
import { useData, useReload } from "../portal/data";
import { Failure, Loading } from "../portal/Failure";
import { DeskForm } from "./DeskForm";
import { AccountFinder } from "./OpenTicketView";

const COLUMNS = ["Received", "From", "Subject", "Status", "What happened"];
const TABS: [string, string][] = [
  ["", "All"],
  ["unmatched", "To assign"],
  ["refused", "Refused"],
  ["ticket", "New tickets"],
  ["message", "Added to tickets"],
];
const STATUS: Record<InboxItem["status"], string> = {
  unmatched: "to assign",
  refused: "refused",
  ticket: "ticket opened",
  message: "added to a ticket",
  processing: "being received",
};

function sender(m: InboxItem): string {
  if (!m.from) return "unknown sender";
  return m.from_name ? `${m.from_name} <${m.from}>` : m.from;
}

function outcome(m: InboxItem): ComponentChildren {
  const ticket = m.ticket_id ? (
    <a href={`#/tickets/${seg(m.ticket_id)}`}>{`ticket ${m.reference || ""}`.trim()}</a>
  ) : null;
  const by = m.assigned_by_name ? ` (assigned by ${m.assigned_by_name})` : "";
  if (m.status === "ticket") return <>Opened {ticket}{by}</>;
  if (m.status === "message") return <>Added to {ticket}{by}</>;
  return m.reason ? `${m.reason[0].toUpperCase()}${m.reason.slice(1)}.` : "—";
}

function Assign({ mail, done }: { mail: InboxItem; done: (what: string) => void }) {
  const [account, setAccount] = useState<AccountSummary | null>(null);
  const id = mail.mail_id.slice(-8);
  return (
    <div class="assign" aria-label={`Assign the mail "${mail.subject}"`} role="group">
      {account ? (
        <DeskForm
          id={`assign-account-${id}`}
          label={`Open a ticket for ${account.name}`}
          accountId={account.account_id}
          action={async () => {
            const item = await post<InboxItem>(`/inbox/${seg(mail.mail_id)}/assign`, { account_id: account.account_id });
            const what = `"${mail.subject}": ticket ${item.reference || ""} opened for ${account.name}.`;
            done(what);
            return what;
          }}
          extra={
            <button type="button" class="secondary" onClick={() => setAccount(null)}>
              Another account
            </button>
          }
        />
      ) : (
        <AccountFinder chosen={setAccount} />
      )}
      <DeskForm
        id={`assign-ticket-${id}`}
        label="Add to this ticket"
        action={async (data) => {
          const reference = String(data.get("reference") || "").trim();
          const item = await post<InboxItem>(`/inbox/${seg(mail.mail_id)}/assign`, { reference });
          const what = `"${mail.subject}": added to ticket ${item.reference || reference.toUpperCase()}.`;
          done(what);
          return what;
        }}
      >
        <Field id={`reference-${id}`} label="Or add it to a ticket (its reference)" help="Six letters and digits, like K7M2QX.">
          {(p) => <input {...p} name="reference" type="text" required pattern="#?[A-Za-z0-9]{6}" maxLength={7} autocomplete="off" />}
        </Field>
      </DeskForm>
    </div>
  );
}

function Mail({ mail, assigned }: { mail: InboxItem; assigned: (what: string) => void }) {
  const reload = useReload();
  const open = mail.status === "unmatched" || mail.status === "refused";
  return (
    <details class="mail">
      <summary>{open ? "Read and assign" : "Read the mail"}</summary>
      <p class="mail-text">{mail.text || "(no text could be read)"}</p>
      {mail.attachments.length ? (
        <ul class="attachments" aria-label="Attachments">
          {mail.attachments.map((a) => (
            <li>{a.kept ? `${a.name} (kept)` : `${a.name}: not kept, ${a.why}`}</li>
          ))}
        </ul>
      ) : null}
      {open ? (
        <Assign
          mail={mail}
          done={(what) => {
            assigned(what);
            reload(300);
          }}
        />
      ) : null}
    </details>
  );
}

export function InboxView({ query }: { query: Record<string, string> }) {
  // What the last assignment did: it stays said here when the mail leaves the list it was assigned from.
  const [notice, setNotice] = useState("");
  const status = TABS.some(([value]) => value && value === query.status) ? query.status : "";
  const { data, error } = useData(
    () => get<Page<InboxItem>>("/inbox", { status: status || null, limit: 25, cursor: query.cursor }),
    [status, query.cursor],
  );
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <Heading>Inbox</Heading>
      <p class="muted">Mail to the support address, newest first. Mail from an address no account has, mail we could not read and mail refused for want of credit wait here for you to assign.</p>
      <p id="inbox-notice" class="form-result ok" role="status" aria-live="polite">
        {notice}
      </p>
      <p class="tabs">
        {TABS.map(([value, text]) => (
          <a href={value ? `#/inbox?status=${value}` : "#/inbox"} aria-current={value === status ? "page" : undefined} class="tab">
            {text}
          </a>
        ))}
      </p>
      <div class="table-wrap">
        {data.items.length ? (
          <table id="inbox" class="queue">
            <caption>Received mail, newest first</caption>
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th scope="col">{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.items.map((m) => (
                <tr data-mail={m.mail_id} key={m.mail_id}>
                  <td data-label="Received">{when(m.received_at)}</td>
                  <td data-label="From">{sender(m)}</td>
                  <td data-label="Subject">
                    <div class="mail-cell">
                      {m.subject}
                      <Mail mail={m} assigned={setNotice} />
                    </div>
                  </td>
                  <td data-label="Status">{STATUS[m.status] || m.status}</td>
                  <td data-label="What happened">{outcome(m)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted" id="inbox-empty">
            No mail here.
          </p>
        )}
      </div>
      {data.cursor ? (
        <p>
          <a id="inbox-next" href={`#/inbox?${new URLSearchParams({ ...(status ? { status } : {}), cursor: data.cursor })}`}>
            Next page →
          </a>
        </p>
      ) : null}
    </>
  );
}
