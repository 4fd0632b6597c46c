// A month's statement (SPEC M3, V1): balances, balance changes, tickets closed, charges and onsite visits,
// and the same statement as CSV.
import { useState } from "preact/hooks";
import { download, get, seg } from "../../api";
import { Field } from "../../components/Field";
import { Heading } from "../../components/Heading";
import { duration, lastMonths, minorMoney, money, monthName, when, words } from "../../format";
import type { Statement } from "../../types";
import { useData } from "./data";
import { Failure } from "./Failure";

function StatementBody({ s }: { s: Statement }) {
  const visits = s.visits || [];
  return (
    <>
      <dl class="summary">
        <dt>Opening balance</dt>
        <dd>{duration(s.opening_balance_minutes)}</dd>
        <dt>Used by tickets closed</dt>
        <dd>{duration(s.consumption_minutes)}</dd>
        <dt>Post-pay</dt>
        <dd>{duration(s.postpay_minutes)}</dd>
        <dt>Closing balance</dt>
        <dd id="closing">{duration(s.closing_balance_minutes)}</dd>
        <dt>Charges</dt>
        <dd>{money(s.charges_total)}</dd>
      </dl>
      <h3>Balance changes</h3>
      {s.ledger.length ? (
        <ul>
          {s.ledger.map((e) => (
            <li>{`${when(e.at)} · ${words(e.kind)} ${duration(e.minutes)}${e.note ? ` — ${e.note}` : ""}`}</li>
          ))}
        </ul>
      ) : (
        <p class="muted">None this month.</p>
      )}
      <h3>Tickets closed</h3>
      {s.tickets.length ? (
        <ul>
          {s.tickets.map((t) => (
            <li>
              <a href={`#/tickets/${seg(t.ticket_id)}`}>{t.title || t.ticket_id}</a>
              {` — ${duration(t.consumed_minutes)} (${t.entries.length} ${t.entries.length === 1 ? "entry" : "entries"})`}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">None this month.</p>
      )}
      {s.charges.length ? (
        <>
          <h3>Charges</h3>
          <ul>
            {s.charges.map((c) => (
              <li>{`${c.description}: ${minorMoney(c.amount_minor, s.currency)}`}</li>
            ))}
          </ul>
        </>
      ) : null}
      {/* SPEC V1: onsite visits are paid in money (payments and refunds), not in hours off the balance. */}
      {visits.length ? (
        <>
          <h3>Onsite visits</h3>
          <ul id="statement-visits">
            {visits.map((v) => (
              <li>{`${when(v.at)} · ${v.kind === "refund" ? "refunded" : "paid"} ${money({ ...v.amount, amount_minor: Math.abs(v.amount.amount_minor) })} — ${v.description}`}</li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}

async function saveCsv(accountId: string, month: string) {
  const reply = await download(`/accounts/${seg(accountId)}/statements/${month}`, "text/csv");
  const url = URL.createObjectURL(await reply.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `hourbank-${accountId}-${month}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function StatementsView({ accountId }: { accountId: string }) {
  const months = lastMonths(12).reverse();
  const [month, setMonth] = useState(months[0]);
  const [csvError, setCsvError] = useState("");
  const { data, error } = useData(() => get<Statement>(`/accounts/${seg(accountId)}/statements/${month}`), [accountId, month]);
  return (
    <>
      <Heading>Statements</Heading>
      <div class="row">
        <Field id="month" label="Month">
          {(p) => (
            <select {...p} value={month} onChange={(e) => setMonth((e.currentTarget as HTMLSelectElement).value)}>
              {months.map((m) => (
                <option value={m}>{monthName(m)}</option>
              ))}
            </select>
          )}
        </Field>
        <button
          type="button"
          id="download-csv"
          class="secondary"
          onClick={() => saveCsv(accountId, month).then(() => setCsvError(""), (e: Error) => setCsvError(e.message))}
        >
          Download CSV
        </button>
      </div>
      {csvError ? (
        <p class="errors" role="alert">
          {csvError}
        </p>
      ) : null}
      <div id="statement">{error ? <Failure error={error} /> : data ? <StatementBody s={data} /> : null}</div>
    </>
  );
}
