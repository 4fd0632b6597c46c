// Billing's desk (SPEC W4) in the portal's router: #/billing/... for billing users only.
import { AccountDesk } from "./AccountDesk";
import { BillingHome, lastMonth } from "./BillingHome";
import { DisputesDesk } from "./DisputesDesk";
import { MonthEndDesk } from "./MonthEndDesk";
import { OpenAccount } from "./OpenAccount";
import { ReviewsDesk } from "./ReviewsDesk";
import { VisitDesk } from "./VisitDesk";

/** The view for #/billing/<parts>, and the account the navigation is about. */
export function billingView(parts: string[], query: Record<string, string>): { view: preact.JSX.Element; accountId: string | null } {
  const [, kind, id] = parts;
  if (kind === "accounts" && id === "new") return { view: <OpenAccount />, accountId: null };
  if (kind === "accounts" && id) return { view: <AccountDesk key={id} accountId={id} query={query} />, accountId: id };
  if (kind === "visits" && id) {
    return { view: <VisitDesk key={id} visitId={id} />, accountId: id.split(".")[1] || null }; // vis_<b>.acc_<a>
  }
  if (kind === "reviews") return { view: <ReviewsDesk query={query} />, accountId: null };
  if (kind === "disputes") return { view: <DisputesDesk query={query} />, accountId: null };
  if (kind === "month-ends") return { view: <MonthEndDesk key={id} month={/^\d{4}-\d{2}$/.test(id || "") ? id : lastMonth()} />, accountId: null };
  return { view: <BillingHome />, accountId: null };
}
