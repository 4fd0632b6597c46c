// A form whose submit runs `action(formData)` and says the outcome in its own live region: "Saved.", or the
// API's message when it refused (ApiError's words, never a field name alone).
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

interface Props {
  id?: string;
  class?: string;
  label: string;
  action: (data: FormData) => Promise<string | void>;
  children?: ComponentChildren;
}

export function ActionForm({ id, class: className, label, action, children }: Props) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    if (!form.reportValidity()) return;
    setBusy(true);
    try {
      setResult({ ok: true, text: (await action(new FormData(form))) || "Saved." });
    } catch (error) {
      setResult({ ok: false, text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form id={id} class={className} onSubmit={submit}>
      {children}
      <button type="submit" disabled={busy}>
        {label}
      </button>
      <p class={`form-result ${result ? (result.ok ? "ok" : "error") : ""}`} role="status" aria-live="polite">
        {result?.text}
      </p>
    </form>
  );
}
