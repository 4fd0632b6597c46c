// SPEC W3, W2: open a ticket for an account found by name or e-mail as you type (GET /accounts?name= or
// ?email=); title, description, priority, the past opening time of work agreed by phone, and emergency from the
// start (T3, its period beginning when the ticket opened).
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { duration, words } from "../../format";
import type { AccountSummary, Page, Ticket } from "../../types";
import { DeskForm } from "./DeskForm";
import { Refusal } from "./refusal";
import { instant, localInput } from "./times";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

async function find(text: string): Promise<AccountSummary[]> {
  const q = text.trim();
  const query = EMAIL.test(q) ? { email: q, limit: 8 } : { name: q, limit: 8 };
  return (await get<Page<AccountSummary>>("/accounts", query)).items;
}

function useFound(text: string): { found: AccountSummary[] | null; error: unknown } {
  const [state, setState] = useState<{ found: AccountSummary[] | null; error: unknown }>({ found: null, error: null });
  useEffect(() => {
    if (text.trim().length < 2) {
      setState({ found: null, error: null });
      return undefined;
    }
    let current = true;
    const wait = window.setTimeout(() => {
      find(text).then(
        (found) => current && setState({ found, error: null }),
        (error) => current && setState({ found: null, error }),
      );
    }, 250);
    return () => {
      current = false;
      window.clearTimeout(wait);
    };
  }, [text]);
  return state;
}

export function AccountFinder({ chosen }: { chosen: (a: AccountSummary) => void }) {
  const [text, setText] = useState("");
  const { found, error } = useFound(text);
  const nameRefused = error instanceof ApiError && error.status === 400 && !EMAIL.test(text.trim());
  return (
    <div role="search" class="finder">
      <Field id="find-account" label="Account (name or e-mail)" help="Type at least two letters of any word of the name, or the whole e-mail.">
        {(p) => (
          <input
            {...p}
            type="search"
            autocomplete="off"
            value={text}
            onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
          />
        )}
      </Field>
      {nameRefused ? (
        <p class="errors">This service finds accounts by their whole e-mail only: type the customer's e-mail.</p>
      ) : error ? (
        <p class="errors">
          <Refusal error={error} />
        </p>
      ) : null}
      {found ? (
        <ul id="found" class="found" aria-label="Accounts found">
          {found.length ? null : <li class="muted">No account matches.</li>}
          {found.map((a) => (
            <li key={a.account_id}>
              <button type="button" class="link" onClick={() => chosen(a)}>
                {a.name}
              </button>
              <span class="muted">{` ${a.email} · ${words(a.plan)} · balance ${duration(a.balance_minutes)}`}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function OpenTicketView({ query }: { query: Record<string, string> }) {
  const [account, setAccount] = useState<AccountSummary | null>(null);
  useEffect(() => {
    if (query.account && !account) void get<AccountSummary>(`/accounts/${seg(query.account)}`).then(setAccount, () => undefined);
  }, [query.account]);
  return (
    <>
      <Heading>Open a ticket</Heading>
      {account ? (
        <p id="chosen-account">
          {`For ${account.name} (${account.email}) `}
          <button type="button" class="secondary" onClick={() => setAccount(null)}>
            Another account
          </button>
        </p>
      ) : (
        <AccountFinder chosen={setAccount} />
      )}
      {account ? (
        <DeskForm
          id="open-ticket-form"
          class="desk-form"
          label="Open ticket"
          accountId={account.account_id}
          action={async (data) => {
            const opened = instant(data.get("opened_at"));
            const description = String(data.get("description") || "").trim();
            const ticket = await post<Ticket>("/tickets", {
              account_id: account.account_id,
              title: String(data.get("title") || "").trim(),
              priority: data.get("priority"),
              ...(description ? { description } : {}),
              ...(opened ? { opened_at: opened } : {}),
            });
            if (data.get("emergency")) {
              await post(`/tickets/${seg(ticket.ticket_id)}/emergency`, { active: true, at: ticket.opened_at });
            }
            window.location.hash = `#/tickets/${encodeURIComponent(ticket.ticket_id)}`;
            return "Opened.";
          }}
        >
          <Field id="ticket-title" label="Title">
            {(p) => <input {...p} name="title" type="text" required maxLength={200} />}
          </Field>
          <Field id="ticket-description" label="Description (optional)">
            {(p) => <textarea {...p} name="description" rows={3} maxLength={20000} />}
          </Field>
          <div class="row">
            <Field id="ticket-priority" label="Priority">
              {(p) => (
                <select {...p} name="priority">
                  <option value="normal">normal</option>
                  <option value="urgent">urgent</option>
                  <option value="low">low</option>
                </select>
              )}
            </Field>
            <Field id="ticket-opened" label="Opened (work agreed earlier, e.g. by phone)" help="Empty: now.">
              {(p) => <input {...p} name="opened_at" type="datetime-local" max={localInput(new Date())} />}
            </Field>
          </div>
          <div class="field check">
            <input id="ticket-emergency" name="emergency" type="checkbox" value="yes" />
            <label for="ticket-emergency">Emergency from the start (time counts ×2)</label>
          </div>
        </DeskForm>
      ) : null}
    </>
  );
}
