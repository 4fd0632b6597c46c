// A desk form: its submit runs `action(formData)`; the outcome (a sentence, or the rating of what was posted)
// shows in its own live region, and a refusal reads as a sentence with the next step (Refusal).
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Refusal } from "./refusal";

interface Props {
  id?: string;
  class?: string;
  label: string;
  accountId?: string | null;
  action: (data: FormData) => Promise<ComponentChildren>;
  children?: ComponentChildren;
  /** Buttons beside the submit button (e.g. Cancel). */
  extra?: ComponentChildren;
  onReset?: () => void;
}

export function DeskForm({ id, class: className, label, accountId, action, children, extra, onReset }: Props) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; body: ComponentChildren } | null>(null);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    if (!form.reportValidity()) return;
    setBusy(true);
    try {
      setResult({ ok: true, body: (await action(new FormData(form))) || "Saved." });
      form.reset(); // what was sent is done: the next one starts from the defaults, not from it again
    } catch (error) {
      setResult({ ok: false, body: <Refusal error={error} accountId={accountId} /> });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form id={id} class={className} onSubmit={submit} onReset={onReset}>
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
