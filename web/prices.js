// The price table the order form shows before anyone types (seed 000; SPEC P1): read from the plan
// catalogue through GET /plans, so the page can never disagree with what an order is charged.
"use strict";

(function () {
  var API = String(window.HOURBANK_API_URL || "").replace(/\/+$/, "");
  var box = document.getElementById("prices");

  function money(minor, currency) {
    var format = new Intl.NumberFormat(undefined, { style: "currency", currency: currency });
    var digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(minor / Math.pow(10, digits));
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text != null) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function hours(minutes) { return String(minutes / 60) + " h"; }

  function render(t) {
    var cur = t.currency;
    var perHour = function (minor) { return minor == null ? "—" : money(minor, cur) + "/h"; };
    box.replaceChildren();
    box.appendChild(el("h2", "Prices", { id: "prices-title" }));
    var table = el("table", null, { id: "price-table" });
    var head = el("tr");
    ["Plan", "Pre-pay", "Recurring (monthly)", "Post-pay", "Monthly fee"].forEach(function (c) {
      head.appendChild(el("th", c, { scope: "col" }));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    t.plans.forEach(function (p) {
      var row = el("tr", null, { "data-plan": p.plan });
      row.appendChild(el("th", p.title, { scope: "row" }));
      // data-label: on a phone each row becomes a card that names its figures (style.css).
      row.appendChild(el("td", perHour(p.prepay_rate_minor), { "data-label": "Pre-pay" }));
      row.appendChild(el("td", perHour(p.recurring_rate_minor), { "data-label": "Recurring (monthly)" }));
      row.appendChild(el("td", perHour(p.postpay_rate_minor), { "data-label": "Post-pay" }));
      var fee = p.monthly_fee_minor == null ? "—" : money(p.monthly_fee_minor, cur);
      if (p.included_minutes) { fee += " incl. " + hours(p.included_minutes); }
      if (p.fair_use_remote_minutes_per_day) { fee += ", remote " + p.fair_use_remote_minutes_per_day + " min a day"; }
      row.appendChild(el("td", fee, { "data-label": "Monthly fee" }));
      body.appendChild(row);
    });
    box.appendChild(table);
    var facts = el("ul", null, { id: "price-facts" });
    facts.appendChild(el("li", t.bulk_discount.percent + "% off any order of " + hours(t.bulk_discount.min_minutes) +
                               " or more."));
    facts.appendChild(el("li", "1 credit = " + t.credit_minutes + " minutes of support time. Credits " +
                               (t.credits_expire ? "expire." : "never expire.")));
    facts.appendChild(el("li", "Orders from " + t.order_hours.min + " to " + t.order_hours.max +
                               " hours, in half hours. New customers buy at the non-member rate."));
    box.appendChild(facts);
  }

  fetch(API + "/plans", { headers: { Accept: "application/json" } })
    .then(function (reply) { return reply.ok ? reply.json() : Promise.reject(reply.status); })
    .then(render, function () { box.textContent = "The price table could not be loaded."; });
})();
