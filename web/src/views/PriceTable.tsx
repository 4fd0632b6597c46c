// The price table the order form shows before anyone types (seed 000; SPEC P1): the plan catalogue through
// GET /plans, so the page can never disagree with what an order is charged.
import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { minorMoney } from "../format";
import type { PlanTable } from "../types";

function hoursOf(minutes: number): string {
  return `${minutes / 60} h`;
}

export function PriceTable() {
  const [table, setTable] = useState<PlanTable | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    get<PlanTable>("/plans").then(setTable, () => setFailed(true));
  }, []);

  if (failed) return <section id="prices" class="prices" aria-live="polite">The price table could not be loaded.</section>;
  if (!table) {
    return (
      <section id="prices" class="prices" aria-live="polite">
        <p>Loading the prices…</p>
      </section>
    );
  }
  const perHour = (minor: number | null) => (minor == null ? "—" : `${minorMoney(minor, table.currency)}/h`);
  return (
    <section id="prices" class="prices" aria-labelledby="prices-title" aria-live="polite">
      <h2 id="prices-title">Prices</h2>
      <table id="price-table">
        <thead>
          <tr>
            {["Plan", "Pre-pay", "Recurring (monthly)", "Post-pay", "Monthly fee"].map((c) => (
              <th scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.plans.map((p) => {
            let fee = p.monthly_fee_minor == null ? "—" : minorMoney(p.monthly_fee_minor, table.currency);
            if (p.included_minutes) fee += ` incl. ${hoursOf(p.included_minutes)}`;
            if (p.fair_use_remote_minutes_per_day) fee += `, remote ${p.fair_use_remote_minutes_per_day} min a day`;
            // data-label: on a phone each row becomes a card that names its figures (style.css).
            return (
              <tr data-plan={p.plan} key={p.plan}>
                <th scope="row">{p.title}</th>
                <td data-label="Pre-pay">{perHour(p.prepay_rate_minor)}</td>
                <td data-label="Recurring (monthly)">{perHour(p.recurring_rate_minor)}</td>
                <td data-label="Post-pay">{perHour(p.postpay_rate_minor)}</td>
                <td data-label="Monthly fee">{fee}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ul id="price-facts">
        <li>
          {table.bulk_discount.percent}% off any order of {hoursOf(table.bulk_discount.min_minutes)} or more.
        </li>
        <li>
          1 credit = {table.credit_minutes} minutes of support time. Credits{" "}
          {table.credits_expire ? "expire." : "never expire."}
        </li>
        <li>
          Orders from {table.order_hours.min} to {table.order_hours.max} hours, in half hours. New customers buy at
          the non-member rate.
        </li>
      </ul>
    </section>
  );
}

