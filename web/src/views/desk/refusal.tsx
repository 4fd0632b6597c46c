// SPEC W3: every refusal the desk meets (400, 402, 409, ...) reads as a sentence with the next step - never raw
// JSON, never an API field name alone; a 402 says how much to top up and links the account.
import { ApiError, seg } from "../../api";
import { duration } from "../../format";

// The API's field names as the desk's labels call them.
const FIELDS: Record<string, string> = {
  started_at: "Started",
  minutes: "Duration",
  work_type: "Work type",
  note: "Note",
  opened_at: "Opened (agreed by phone)",
  title: "Title",
  description: "Description",
  priority: "Priority",
  reason: "Reason",
  at: "When",
  account_id: "Account",
};

/** "started_at: must not be in the future" -> "Started: must not be in the future". */
export function inWords(message: string): string {
  return message.replace(/\b([a-z]+_[a-z_]+|minutes|note|title|priority|reason|at|description)(?=\s*:)/g, (f) => FIELDS[f] || f);
}

const NEXT: Record<number, string> = {
  400: "Correct it and try again.",
  401: "Sign in again, then repeat it.",
  403: "Only a technician can do this; sign in as one.",
  404: "It is no longer there: go back to the queue.",
  409: "Reload the ticket to see where it stands now.",
};

/** What went wrong and what to do next, for people. */
export function Refusal({ error, accountId }: { error: unknown; accountId?: string | null }): preact.JSX.Element {
  if (!(error instanceof ApiError)) {
    return <span>{`The service could not be reached (${(error as Error)?.message || "no answer"}). Check the connection and try again.`}</span>;
  }
  const text = inWords(error.message).replace(/\.?$/, ".");
  if (error.status === 402) {
    // SPEC C4: the API's sentence names the top-up in hours; said again only where it does not
    const topUp = Number(error.details.top_up_minutes) || 0;
    const said = /top up/i.test(text);
    return (
      <span>
        {text}
        {topUp && !said ? ` Top up at least ${duration(topUp)} first.` : ""}
        {accountId ? (
          <>
            {" "}
            <a href={`#/accounts/${seg(accountId)}`}>Open the account</a> (billing records a purchase by phone) or send
            the customer <a href={`/?account=${encodeURIComponent(accountId)}`}>its order form</a>.
          </>
        ) : null}
      </span>
    );
  }
  if (error.status >= 500) return <span>{`${text} Try again in a minute.`}</span>;
  const next = NEXT[error.status];
  return <span>{next && !text.includes(next) ? `${text} ${next}` : text}</span>;
}
