// SPEC S1: when the first response is due, and whether it was kept, in words.
import type { SlaStatus } from "../../types";

export const SLA_TEXT: Record<SlaStatus, string> = {
  pending: "response due",
  met: "responded in time",
  breached: "response target missed",
  paused: "waiting on the customer",
};

export function SlaPill({ status }: { status: SlaStatus }) {
  return <span class={`pill sla-${status}`}>{SLA_TEXT[status] || status}</span>;
}
