// Billing's desk (SPEC W4): where the person who runs the books starts - find an account or open one, the
// open disputes, the payments kept for review and the month's run.
import { Heading } from "../../components/Heading";
import { AccountFinder } from "../desk/OpenTicketView";

/** The month before the current one, "yyyy-mm": the one a month-end run closes. */
export function lastMonth(now: Date = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

export const BILLING_LINKS: [string, string][] = [
  ["#/billing/accounts/new", "Open an account"],
  ["#/billing/disputes", "Open disputes"],
  ["#/billing/reviews", "Payments kept for review"],
  ["#/billing/month-ends", "Month end"],
];

export function BillingHome() {
  return (
    <>
      <Heading>Billing</Heading>
      <ul class="billing-links">
        {BILLING_LINKS.map(([href, text]) => (
          <li>
            <a href={href}>{text}</a>
          </li>
        ))}
      </ul>
      <h2>An account</h2>
      <AccountFinder chosen={(a) => (window.location.hash = `#/billing/accounts/${encodeURIComponent(a.account_id)}`)} />
    </>
  );
}
