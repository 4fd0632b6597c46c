// Billing adjusts an account's balance (API.md POST /accounts/{id}/adjustments): a purchase, grant or
// adjustment with its reason, once per submit (Idempotency-Key).
import { post, seg } from "../../api";
import { ActionForm } from "../../components/ActionForm";
import { Field } from "../../components/Field";
import { duration } from "../../format";
import type { LedgerEntry } from "../../types";
import { useReload } from "./data";

export function StaffAdjust({ accountId }: { accountId: string }) {
  const reload = useReload();
  async function adjust(data: FormData) {
    const entry = await post<LedgerEntry>(
      `/accounts/${seg(accountId)}/adjustments`,
      { minutes: Number(data.get("minutes")), kind: data.get("kind"), reason: data.get("reason") },
      { "Idempotency-Key": crypto.randomUUID() },
    );
    reload(800);
    return `Posted: ${duration(entry.minutes)}; balance now ${duration(entry.balance_after)}.`;
  }
  return (
    <section aria-labelledby="staff-h" class="staff">
      <h2 id="staff-h">Staff: adjust the balance</h2>
      <ActionForm id="adjust-form" label="Post adjustment" action={adjust}>
        <Field label="Minutes (+ adds, − takes away)">
          {(p) => <input {...p} name="minutes" type="number" step="1" required />}
        </Field>
        <Field label="Kind">
          {(p) => (
            <select {...p} name="kind">
              {["purchase", "grant", "adjustment"].map((k) => (
                <option value={k}>{k}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Reason">{(p) => <input {...p} name="reason" type="text" required maxLength={2000} />}</Field>
      </ActionForm>
    </section>
  );
}
