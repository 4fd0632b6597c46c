// A billing desk form (SPEC W4): its submit runs `action(formData)`; the outcome shows in its own live region,
// and a refusal reads as a sentence with the next step - the API's field names as the form's labels call them.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError } from "../../api";

const FIELDS: Record<string, string> = {
  name: "Name",
  email: "E-mail",
  plan: "Plan",
  currency: "Currency",
  timezone: "Timezone",
  minutes: "Time",
  amount: "Money received",
  reason: "Reason",
  note: "Note",
  kind: "Kind",
  account_id: "Account",
  scheduled_at: "When",
  address: "Address",
  estimate_hours: "Hours",
  hours: "Hours",
  outcome: "Outcome",
  credit_minutes: "Time to credit back",
};

const NEXT: Record<number, string> = {
  400: "Correct it and try again.",
  401: "Sign in again, then repeat it.",
  403: "Only billing can do this: sign in as billing.",
  404: "It is no longer there: go back to Billing and find it again.",
  409: "Reload the page to see where it stands now.",
};

/** "estimate_hours: must be ..." -> "Hours: must be ...". */
export function fieldWords(message: string): string {
  return message.replace(/\b([a-z]+(?:_[a-z]+)*)(?=\s*:)/g, (f) => FIELDS[f] || f);
}

/** A mistake the page itself finds before asking the API: its message is the whole sentence. */
export class Mistake extends Error {}

/** What went wrong and what to do next, for people. */
export function refusal(error: unknown): string {
  if (error instanceof Mistake) return error.message;
  if (!(error instanceof ApiError)) {
    return `The service could not be reached (${(error as Error)?.message || "no answer"}). Check the connection and try again.`;
  }
  const said = fieldWords(error.message).replace(/\.?$/, ".");
  const text = said.charAt(0).toUpperCase() + said.slice(1);
  if (error.status >= 500) return `${text} Try again in a minute.`;
  const next = NEXT[error.status];
  return next && !text.includes(next) ? `${text} ${next}` : text;
}

interface Props {
  id?: string;
  class?: string;
  label: string;
  action: (data: FormData) => Promise<ComponentChildren>;
  children?: ComponentChildren;
  /** Buttons beside the submit button (e.g. Change). */
  extra?: ComponentChildren;
  /** Keep what was typed after a success (a form that leaves the page, or one whose values stay true). */
  keep?: boolean;
}

export function BillingForm({ id, class: className, label, action, children, extra, keep }: Props) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; body: ComponentChildren } | null>(null);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    if (!form.reportValidity()) return;
    setBusy(true);
    try {
      setResult({ ok: true, body: (await action(new FormData(form))) || "Saved." });
      if (!keep) form.reset();
    } catch (error) {
      setResult({ ok: false, body: refusal(error) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form id={id} class={`billing-form ${className || ""}`} onSubmit={submit}>
      {children}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {label}
        </button>
        {extra}
      </div>
      <div class={`form-result ${result ? (result.ok ? "ok" : "error") : ""}`} role="status" aria-live="polite">
        {result?.body}
      </div>
    </form>
  );
}
