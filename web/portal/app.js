// The customer portal and the staff pages (SPEC W1, W2). Plain ES modules, no build step: a hash router
// renders one view at a time into <main>, each view reading the API (API.md) with the signed-in bearer.
import { call, get, post, put } from "./api.js";
import { completeSignIn, isLocal, onChange, signIn, signOut, who } from "./auth.js";
import { usageChart } from "./chart.js";
import { field, h, replace } from "./dom.js";
import { duration, lastMonths, minorMoney, money, monthName, reasonText, when } from "./format.js";

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const status = document.getElementById("status");
const userEl = document.getElementById("user");

function say(text, kind = "info") {
  status.textContent = text;
  status.className = `status ${kind}`;
}

function heading(text) {
  const el = h("h1", { tabindex: "-1" }, text);
  queueMicrotask(() => el.focus()); // keyboard and screen-reader users land on the new view
  return el;
}

function hoursInput(name, minutes, label, help) {
  return field(label, h("input", { name, type: "number", min: "0", step: "0.5", inputmode: "decimal",
                                   value: minutes == null ? "" : String(minutes / 60), required: true }), help);
}

// A form whose submit runs `action(formData)`, shows the outcome in its own live region and re-renders.
function actionForm(attrs, controls, label, action) {
  const out = h("p", { class: "form-result", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "submit" }, label);
  const form = h("form", { ...attrs, novalidate: false }, controls, button, out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    button.disabled = true;
    try {
      out.textContent = (await action(new FormData(form))) || "Saved.";
      out.className = "form-result ok";
    } catch (error) {
      out.textContent = error.message;
      out.className = "form-result error";
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// -------------------------------------------------------------------------------------------- views

async function accountView(accountId) {
  const months = lastMonths(12);
  const [account, usage] = await Promise.all([
    get(`/accounts/${encodeURIComponent(accountId)}`),
    get(`/accounts/${encodeURIComponent(accountId)}/usage`, { from: months[0], to: months[months.length - 1] }),
  ]);
  const top = account.auto_top_up;
  const topUpText = top.enabled
    ? `On: when the balance falls below ${duration(top.threshold_minutes)}, ${duration(top.amount_minutes)} is bought.`
    : "Off.";
  const parts = [
    heading(account.name),
    h("p", { class: "muted" }, `Account ${account.account_id} · ${account.plan.replace(/_/g, " ")} · ${account.email}`),
    h("section", { class: "cards", "aria-label": "Hours remaining" },
      h("div", { class: "card" }, h("h2", {}, "Balance"), h("p", { class: "big", id: "balance" }, duration(account.balance_minutes))),
      h("div", { class: "card" }, h("h2", {}, "Available"), h("p", { class: "big", id: "available" }, duration(account.available_minutes)),
        h("p", { class: "help" }, "The balance less the time committed to open tickets.")),
      h("div", { class: "card" }, h("h2", {}, "Committed to open tickets"), h("p", { class: "big", id: "committed" }, duration(account.committed_minutes))),
      h("div", { class: "card" }, h("h2", {}, "Auto top-up"), h("p", { id: "auto-top-up" }, topUpText),
        top.pending_invoice_id ? h("p", { class: "help" }, `Invoice ${top.pending_invoice_id} is waiting to be paid.`) : null,
        top.paused_until ? h("p", { class: "help" }, `Paused until ${when(new Date(top.paused_until * 1000).toISOString())}.`) : null,
        h("p", { class: "help" }, account.notify_low_balance ? "Low-balance e-mail: on." : "Low-balance e-mail: off."))),
    account.flags.length ? h("p", { class: "notice" }, `Flags: ${account.flags.join(", ")}`) : null,
    who().role === "customer" || who().billing
      ? h("p", {}, h("a", { href: `/?account=${encodeURIComponent(account.account_id)}`, id: "buy-hours", class: "button" }, "Buy hours"))
      : null,
    h("section", { "aria-labelledby": "usage-h" }, h("h2", { id: "usage-h" }, "Usage, last 12 months"), usageChart(usage.months)),
  ];
  if (who().billing) parts.push(staffActions(account)); // adjustments are billing's (API.md)
  parts.push(await ticketList(accountId));
  return parts;
}

function staffActions(account) {
  const kind = h("select", { name: "kind" }, ["purchase", "grant", "adjustment"].map((k) => h("option", { value: k }, k)));
  return h("section", { "aria-labelledby": "staff-h", class: "staff" },
    h("h2", { id: "staff-h" }, "Staff: adjust the balance"),
    actionForm({ id: "adjust-form" }, [
      field("Minutes (+ adds, − takes away)", h("input", { name: "minutes", type: "number", step: "1", required: true })),
      field("Kind", kind),
      field("Reason", h("input", { name: "reason", type: "text", required: true, maxlength: "2000" })),
    ], "Post adjustment", async (data) => {
      const entry = await post(`/accounts/${encodeURIComponent(account.account_id)}/adjustments`,
        { minutes: Number(data.get("minutes")), kind: data.get("kind"), reason: data.get("reason") },
        { "Idempotency-Key": crypto.randomUUID() });
      window.setTimeout(render, 800);
      return `Posted: ${duration(entry.minutes)}; balance now ${duration(entry.balance_after)}.`;
    }));
}

async function ticketList(accountId, statusFilter) {
  const list = h("ul", { class: "tickets", id: "ticket-list" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More tickets");
  const filter = h("select", { id: "ticket-status" },
    [["", "All"], ["open", "Open"], ["awaiting_credit", "Waiting for credit"], ["closed", "Closed"]]
      .map(([v, t]) => h("option", { value: v, selected: v === (statusFilter || "") }, t)));
  let cursor = null;
  async function page(reset) {
    if (reset) { list.replaceChildren(); cursor = null; }
    const reply = await get(`/accounts/${encodeURIComponent(accountId)}/tickets`,
                            { status: filter.value, limit: 10, cursor });
    for (const t of reply.items) {
      const used = t.consumed_minutes != null ? `billed ${duration(t.consumed_minutes)}` : `so far ${duration(t.projected_consumption_minutes)}`;
      list.append(h("li", {}, h("a", { href: `#/tickets/${encodeURIComponent(t.ticket_id)}` }, t.title),
        h("span", { class: `pill ${t.status}` }, t.status.replace(/_/g, " ")),
        h("span", { class: "muted" }, ` opened ${when(t.opened_at)} · ${used}`)));
    }
    if (!list.children.length) list.append(h("li", { class: "muted" }, "No tickets."));
    cursor = reply.cursor;
    more.hidden = !cursor;
  }
  filter.addEventListener("change", () => page(true));
  more.addEventListener("click", () => page(false));
  await page(true);
  return h("section", { "aria-labelledby": "tickets-h" }, h("h2", { id: "tickets-h" }, "Tickets"),
    field("Show", filter), list, more);
}

function segmentsText(entry) {
  return entry.segments.map((s) => {
    const why = reasonText(s.reasons);
    return `${duration(s.minutes)} × ${s.multiplier}${why ? ` (${why})` : ""}`;
  }).join(" + ");
}

// Who questioned an entry, in words: the API gives the raiser's subject (an opaque id) and whether they were the
// customer or staff; never the raw id.
function raiser(d, me) {
  if (d.raised_by && d.raised_by === me.sub) return "you";
  if (d.raised_by_role === "staff") return "Hourbank staff";
  if (d.raised_by_role === "customer") return me.role === "customer" ? "someone else on your account" : "the customer";
  return me.role === "customer" ? "someone on your account or Hourbank staff" : "the customer or staff";
}

function disputeBlock(ticket, entry) {
  const d = entry.dispute;
  const base = `/tickets/${encodeURIComponent(ticket.ticket_id)}/time-entries/${encodeURIComponent(entry.entry_id)}`;
  const me = who();
  if (d) {
    const outcome = d.status === "open"
      ? `Questioned by ${raiser(d, me)} ${when(d.raised_at)}: “${d.reason}”. Waiting for billing to answer.`
      : `Questioned by ${raiser(d, me)}: “${d.reason}”. ${d.status === "upheld" ? "Upheld" : "Not upheld"} ${when(d.resolved_at)}: ${d.resolution_note || ""}${d.credited_minutes ? ` — ${duration(d.credited_minutes)} credited back.` : ""}`;
    const parts = [h("p", { class: `dispute ${d.status}`, "data-entry": entry.entry_id }, outcome)];
    if (d.status === "open" && me.billing) {
      const outcomeSel = h("select", { name: "outcome" }, h("option", { value: "upheld" }, "upheld"), h("option", { value: "rejected" }, "rejected"));
      parts.push(actionForm({ class: "resolve-form" }, [
        field("Outcome", outcomeSel),
        field("Note to the customer", h("input", { name: "note", type: "text", required: true, maxlength: "2000" })),
        field("Minutes to credit back (upheld only)", h("input", { name: "credit_minutes", type: "number", min: "0", step: "1", value: "0" })),
      ], "Resolve", async (data) => {
        await post(`${base}/resolve`, { outcome: data.get("outcome"), note: data.get("note"),
                                        credit_minutes: Number(data.get("credit_minutes") || 0) });
        window.setTimeout(render, 600);
        return "Resolved.";
      }));
    }
    return parts;
  }
  const details = h("details", { class: "question" }, h("summary", {}, "Question this entry"),
    actionForm({ class: "dispute-form" }, [
      field("What is wrong with it?", h("textarea", { name: "reason", required: true, maxlength: "2000", rows: "3" })),
    ], "Send question", async (data) => {
      await post(`${base}/dispute`, { reason: data.get("reason") });
      window.setTimeout(render, 600);
      return "Sent: billing will answer.";
    }));
  return [details];
}

// SPEC T6: the onsite minimum of the account's plan (GET /plans), only for a ticket with onsite or travel work;
// 0 when it does not apply, so a member's remote ticket is not told about a rule that is not its.
async function onsiteMinimum(t) {
  if (!(t.entries || []).some((e) => e.work_type === "onsite" || e.work_type === "travel")) return 0;
  const [account, table] = await Promise.all([get(`/accounts/${encodeURIComponent(t.account_id)}`), get("/plans")]);
  const plan = table.plans.find((p) => p.plan === account.plan);
  return (plan && plan.onsite_minimum_minutes) || 0;
}

// SPEC C6: each credit-back, when, how much and where its minutes went (off the post-pay not yet invoiced
// first, then back to the balance), and why.
function creditBacks(t, me) {
  if (!(t.credit_backs || []).length) { // tickets credited before each credit-back was recorded: the total only
    return t.credited_back_minutes ? h("p", {}, `Credited back: ${duration(t.credited_back_minutes)}.`) : null;
  }
  const balance = me.role === "customer" ? "back to your balance" : "back to the balance";
  return h("section", { id: "credit-backs", "aria-labelledby": "cbs-h" },
    h("h2", { id: "cbs-h" }, `Credited back (${duration(t.credited_back_minutes)})`),
    h("ul", {}, t.credit_backs.map((c) => {
      const where = [c.postpay_reduced_minutes ? `${duration(c.postpay_reduced_minutes)} off the post-pay` : null,
                     c.balance_credited_minutes ? `${duration(c.balance_credited_minutes)} ${balance}` : null]
        .filter(Boolean).join(", ");
      return h("li", { class: "credit-back" }, `${when(c.at)} · ${duration(c.minutes)} (${where}) — “${c.reason}”`);
    })));
}

async function ticketView(ticketId) {
  const t = await get(`/tickets/${encodeURIComponent(ticketId)}`);
  const me = who();
  let rounding;
  if (t.visit_id) { // SPEC V1: a visit's ticket is paid by the visit, nothing comes off the balance
    rounding = `An onsite visit, paid for on its own: time on site ${duration(t.weighted_minutes)}; nothing comes off the hours balance.`;
  } else if (t.status === "closed") {
    const minimum = await onsiteMinimum(t);
    const rules = minimum ? `half hours, onsite and travel counted as at least ${duration(minimum)}` : "rounded up to the half hour";
    // C6: the post-pay billed is what is left after credit-backs took minutes off it (as the statement has it).
    const reduced = t.postpay_credited_back_minutes || 0;
    const postpay = (t.postpay_minutes || 0) - reduced;
    const postpayText = t.postpay_minutes
      ? `, ${duration(postpay)} post-pay${reduced ? ` (${duration(t.postpay_minutes)} less ${duration(reduced)} credited back)` : ""}`
      : "";
    rounding = `Weighted ${duration(t.weighted_minutes)}; billed ${duration(t.consumed_minutes)} (${rules}) — ${duration(t.debited_minutes)} from the balance${postpayText}.`;
  } else {
    rounding = `Weighted so far ${duration(t.weighted_minutes)}; with the ticket's rounding this is ${duration(t.projected_consumption_minutes)} if it closed now.`;
  }
  const rows = (t.entries || []).map((e) => h("li", { class: "entry", "data-entry": e.entry_id },
    h("dl", {},
      h("dt", {}, "Start"), h("dd", {}, when(e.started_at)),
      h("dt", {}, "Time"), h("dd", {}, duration(e.minutes)),
      h("dt", {}, "Work"), h("dd", {}, e.work_type),
      h("dt", {}, "Multipliers"), h("dd", { class: "multipliers" }, segmentsText(e)),
      h("dt", {}, "Weighted"), h("dd", {}, duration(e.weighted_minutes)),
      h("dt", {}, "Note"), h("dd", {}, e.note),
      h("dt", {}, "Technician"), h("dd", {}, e.technician)),
    disputeBlock(t, e)));
  const parts = [
    h("p", {}, h("a", { href: `#/accounts/${encodeURIComponent(t.account_id)}` }, "← Account")),
    heading(t.title),
    h("p", {}, h("span", { class: `pill ${t.status}` }, t.status.replace(/_/g, " ")), ` ${t.priority} priority · opened ${when(t.opened_at)}`,
      t.closed_at ? ` · closed ${when(t.closed_at)}` : "", t.emergency ? " · emergency" : ""),
    h("p", { id: "rounding" }, rounding),
    slaLine(t),
    creditBacks(t, me),
    h("h2", {}, `Time entries (${(t.entries || []).length})`),
    rows.length ? h("ol", { class: "entries" }, rows) : h("p", { class: "muted" }, "No time logged yet."),
  ];
  if (me.role === "staff" && t.status !== "closed") parts.push(responseForms(t));
  if (me.billing && t.status === "closed") {
    parts.push(h("section", { class: "staff", "aria-labelledby": "cb-h" }, h("h2", { id: "cb-h" }, "Staff: credit time back"),
      actionForm({ id: "credit-back-form" }, [
        field("Minutes", h("input", { name: "minutes", type: "number", min: "1", step: "1", required: true })),
        field("Reason", h("input", { name: "reason", type: "text", required: true, maxlength: "2000" })),
      ], "Credit back", async (data) => {
        const entry = await post(`/tickets/${encodeURIComponent(t.ticket_id)}/credit-back`,
                                 { minutes: Number(data.get("minutes")), reason: data.get("reason") });
        window.setTimeout(render, 600);
        return `Credited ${duration(entry.minutes)}.`;
      })));
  }
  return parts;
}

async function statementsView(accountId) {
  const months = lastMonths(12).reverse();
  const select = h("select", { id: "month" }, months.map((m) => h("option", { value: m }, monthName(m))));
  const body = h("div", { id: "statement" });
  const download = h("button", { type: "button", id: "download-csv", class: "secondary" }, "Download CSV");
  async function show() {
    const s = await get(`/accounts/${encodeURIComponent(accountId)}/statements/${select.value}`);
    replace(body,
      h("dl", { class: "summary" },
        h("dt", {}, "Opening balance"), h("dd", {}, duration(s.opening_balance_minutes)),
        h("dt", {}, "Used by tickets closed"), h("dd", {}, duration(s.consumption_minutes)),
        h("dt", {}, "Post-pay"), h("dd", {}, duration(s.postpay_minutes)),
        h("dt", {}, "Closing balance"), h("dd", { id: "closing" }, duration(s.closing_balance_minutes)),
        h("dt", {}, "Charges"), h("dd", {}, money(s.charges_total))),
      h("h3", {}, "Balance changes"),
      s.ledger.length ? h("ul", {}, s.ledger.map((e) => h("li", {}, `${when(e.at)} · ${e.kind.replace(/_/g, " ")} ${duration(e.minutes)}${e.note ? ` — ${e.note}` : ""}`)))
                      : h("p", { class: "muted" }, "None this month."),
      h("h3", {}, "Tickets closed"),
      s.tickets.length ? h("ul", {}, s.tickets.map((t) => h("li", {}, h("a", { href: `#/tickets/${encodeURIComponent(t.ticket_id)}` }, t.title || t.ticket_id),
                                                         ` — ${duration(t.consumed_minutes)} (${t.entries.length} ${t.entries.length === 1 ? "entry" : "entries"})`)))
                       : h("p", { class: "muted" }, "None this month."),
      s.charges.length ? [h("h3", {}, "Charges"), h("ul", {}, s.charges.map((c) => h("li", {}, `${c.description}: ${minorMoney(c.amount_minor, s.currency)}`)))] : null,
      // SPEC V1: onsite visits are paid in money (payments and refunds), not in hours off the balance.
      (s.visits || []).length ? [h("h3", {}, "Onsite visits"), h("ul", { id: "statement-visits" }, s.visits.map((v) => h("li", {},
        `${when(v.at)} · ${v.kind === "refund" ? "refunded" : "paid"} ${money({ ...v.amount, amount_minor: Math.abs(v.amount.amount_minor) })} — ${v.description}`)))] : null);
  }
  download.addEventListener("click", async () => {
    const reply = await call("GET", `/accounts/${encodeURIComponent(accountId)}/statements/${select.value}`, { accept: "text/csv" });
    const url = URL.createObjectURL(await reply.blob());
    const a = h("a", { href: url, download: `hourbank-${accountId}-${select.value}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  select.addEventListener("change", () => show().catch((e) => say(e.message, "error")));
  await show();
  return [heading("Statements"), h("div", { class: "row" }, field("Month", select), download), body];
}

async function invoicesView(accountId) {
  const { items } = await get(`/accounts/${encodeURIComponent(accountId)}/invoices`);
  return [heading("Invoices"),
    items.length ? h("table", { class: "invoices" },
      h("thead", {}, h("tr", {}, ["Date", "What", "Amount", "Status", "Pay"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, items.map((i) => h("tr", {},
        h("td", {}, when(i.created_at)), h("td", {}, i.description), h("td", {}, money(i.price)),
        h("td", {}, h("span", { class: `pill ${i.status}` }, i.status)),
        h("td", {}, i.payment_url && i.status === "open" ? h("a", { href: i.payment_url, class: "pay-link" }, "Pay now")
                                                         : i.payment_url ? h("a", { href: i.payment_url }, "View") : "—")))))
      : h("p", { class: "muted" }, "No invoices yet.")];
}

async function settingsView(accountId) {
  const a = await get(`/accounts/${encodeURIComponent(accountId)}`);
  const t = a.auto_top_up;
  const enabled = h("input", { type: "checkbox", name: "enabled", id: "enabled", checked: t.enabled });
  const notify = h("input", { type: "checkbox", name: "notify_low_balance", id: "notify", checked: a.notify_low_balance });
  return [heading("Auto top-up and low-balance e-mail"),
    h("p", {}, "When the balance falls below the threshold, Hourbank can buy more hours for you (an invoice you pay, or your card is charged) and e-mail you once."),
    actionForm({ id: "settings-form" }, [
      h("div", { class: "choice" }, enabled, h("label", { for: "enabled" }, "Buy hours automatically")),
      hoursInput("threshold", t.threshold_minutes, "When the balance falls below (hours)", "0 to 166 hours."),
      hoursInput("amount", t.amount_minutes, "Buy (hours)", "At least 1 hour, in half hours."),
      h("div", { class: "choice" }, notify, h("label", { for: "notify" }, "E-mail me when the balance is low")),
    ], "Save settings", async (data) => {
      const saved = await put(`/accounts/${encodeURIComponent(accountId)}/auto-top-up`, {
        enabled: data.get("enabled") === "on", notify_low_balance: data.get("notify_low_balance") === "on",
        threshold_minutes: Math.round(Number(data.get("threshold")) * 60), amount_minutes: Math.round(Number(data.get("amount")) * 60),
      });
      return `Saved: auto top-up ${saved.auto_top_up.enabled ? "on" : "off"}, low-balance e-mail ${saved.notify_low_balance ? "on" : "off"}.`;
    })];
}

async function searchView(query) {
  const input = h("input", { type: "email", name: "email", id: "search-email", value: query.email || "", autocomplete: "off" });
  const plan = h("select", { name: "plan", id: "search-plan" }, ["", "non_member", "member", "business_priority", "unlimited_remote"]
    .map((p) => h("option", { value: p, selected: p === (query.plan || "") }, p ? p.replace(/_/g, " ") : "any plan")));
  const results = h("ul", { id: "results", class: "tickets" });
  const form = h("form", { id: "search-form", role: "search" }, field("Customer e-mail", input), field("Plan", plan),
                 h("button", { type: "submit" }, "Find accounts"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ email: input.value.trim(), plan: plan.value });
    window.location.hash = `#/search?${q}`;
  });
  if (query.email || query.plan) {
    const reply = await get("/accounts", { email: query.email, plan: query.plan, limit: 50 });
    for (const a of reply.items) {
      results.append(h("li", {}, h("a", { href: `#/accounts/${encodeURIComponent(a.account_id)}` }, a.name),
                       h("span", { class: "muted" }, ` ${a.email} · ${a.plan.replace(/_/g, " ")} · balance ${duration(a.balance_minutes)}`)));
    }
    if (!reply.items.length) results.append(h("li", { class: "muted" }, "No account has this e-mail."));
  }
  return [heading("Find an account"), form, h("h2", {}, "Accounts"), results];
}

// SPEC S1: when the first response is due, and whether it was kept, in words.
const SLA_TEXT = { pending: "response due", met: "responded in time", breached: "response target missed", paused: "waiting on the customer" };

function slaLine(t) {
  if (!t.sla_status) return null;
  const due = t.response_due_at ? ` — due ${when(t.response_due_at)}` : "";
  const first = t.first_response_at ? ` · first response ${when(t.first_response_at)}` : "";
  return h("p", { id: "sla" }, h("span", { class: `pill sla-${t.sla_status}` }, SLA_TEXT[t.sla_status] || t.sla_status), due, first);
}

// Staff on an open ticket: record a response (the first one meets the target) and pause the clock.
function responseForms(t) {
  const base = `/tickets/${encodeURIComponent(t.ticket_id)}`;
  return h("section", { class: "staff", "aria-labelledby": "resp-h" }, h("h2", { id: "resp-h" }, "Staff: respond"),
    actionForm({ id: "response-form" }, [
      field("Response (what was said or done)", h("textarea", { name: "note", required: true, maxlength: "2000", rows: "2" })),
    ], "Record response", async (data) => {
      const r = await post(`${base}/responses`, { note: data.get("note") });
      window.setTimeout(render, 600);
      return `Recorded at ${when(r.at)}.`;
    }),
    actionForm({ id: "waiting-form" }, [], t.waiting ? "Resume the clock (customer replied)" : "Waiting on the customer", async () => {
      await put(`${base}/waiting`, { waiting: !t.waiting });
      window.setTimeout(render, 600);
      return t.waiting ? "The clock runs again." : "The clock is paused.";
    }));
}

// SPEC W2: the open-ticket queue, the ticket due first on top (GET /tickets, one index page at a time).
async function queueView(query) {
  const status = query.status === "awaiting_credit" ? "awaiting_credit" : "open";
  const reply = await get("/tickets", { status, limit: 25, cursor: query.cursor });
  const tabs = h("p", { class: "tabs" },
    ["open", "awaiting_credit"].map((s) => h("a", { href: `#/queue?status=${s}`, "aria-current": s === status ? "page" : null, class: "tab" },
                                            s === "open" ? "Open" : "Awaiting credit")));
  // On a phone each row stacks into a card, each cell labelled from data-label (portal.css), not a wide table.
  const columns = ["Response due", "Service level", "Ticket", "Priority", "Account", "Time logged"];
  const rows = reply.items.map((t) => h("tr", { "data-ticket": t.ticket_id }, [
    t.response_due_at ? when(t.response_due_at) : "—",
    t.sla_status ? h("span", { class: `pill sla-${t.sla_status}` }, SLA_TEXT[t.sla_status] || t.sla_status) : "—",
    h("a", { href: `#/tickets/${encodeURIComponent(t.ticket_id)}` }, t.title),
    t.priority,
    h("a", { href: `#/accounts/${encodeURIComponent(t.account_id)}` }, t.account_id),
    duration(t.weighted_minutes),
  ].map((cell, i) => h("td", { "data-label": columns[i] }, cell))));
  const table = rows.length
    ? h("table", { id: "queue", class: "queue" },
        h("caption", {}, status === "open" ? "Open tickets, the one due first on top" : "Tickets waiting for credit"),
        h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows))
    : h("p", { class: "muted", id: "queue-empty" }, "No tickets here.");
  const more = reply.cursor
    ? h("p", {}, h("a", { id: "queue-next", href: `#/queue?${new URLSearchParams({ status, cursor: reply.cursor })}` }, "Next page →"))
    : null;
  return [heading("Ticket queue"), tabs, h("div", { class: "table-wrap" }, table), more];
}

// --------------------------------------------------------------------------------------- the router

function navFor(me, accountId) {
  const links = [];
  if (me.role === "staff") links.push(["#/queue", "Ticket queue"], ["#/search", "Find an account"]);
  if (accountId) {
    const base = `#/accounts/${encodeURIComponent(accountId)}`;
    links.push([base, me.role === "staff" ? "Account" : "Hours and tickets"], [`${base}/statements`, "Statements"],
               [`${base}/invoices`, "Invoices"]);
    // Billing settings and buying are the owner's and billing's (API.md); a technician only reads.
    if (me.role === "customer" || me.billing) {
      links.push([`${base}/settings`, "Auto top-up"], [`/?account=${encodeURIComponent(accountId)}`, "Buy hours"]);
    }
  }
  replace(nav, h("ul", {}, links.map(([href, text]) => h("li", {}, h("a", { href, "aria-current": href === window.location.hash ? "page" : null }, text)))));
}

async function render() {
  const me = who();
  if (!me) return showSignedOut();
  replace(userEl, me.role === "staff" ? `Staff (${me.groups.join(", ")})` : `Customer ${me.accountId}`, " ",
          h("button", { type: "button", id: "sign-out", class: "secondary" }, "Sign out"));
  document.getElementById("sign-out").addEventListener("click", signOut);
  const [path, qs] = (window.location.hash.replace(/^#/, "") || "/").split("?");
  const query = Object.fromEntries(new URLSearchParams(qs || ""));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  let accountId = me.role === "customer" ? me.accountId : null;
  say("Loading…");
  try {
    let content;
    if (parts[0] === "accounts" && parts[1]) {
      accountId = parts[1];
      const sub = parts[2] || "";
      content = await ({ "": accountView, statements: statementsView, invoices: invoicesView, settings: settingsView }[sub] || accountView)(accountId);
    } else if (parts[0] === "tickets" && parts[1]) {
      content = await ticketView(parts[1]);
      accountId = parts[1].split(".")[1] || accountId; // a ticket id names its account: tkt_<ulid>.acc_<ulid>
    } else if (me.role === "staff" && parts[0] === "queue") {
      content = await queueView(query);
    } else if (me.role === "staff") {
      content = await searchView(query);
    } else {
      content = await accountView(me.accountId);
    }
    navFor(me, accountId);
    replace(view, content);
    say("");
  } catch (error) {
    navFor(me, accountId);
    replace(view, heading("Something went wrong"), h("p", { class: "errors", role: "alert" }, error.message));
    say("");
  }
}

function showSignedOut() {
  replace(userEl);
  replace(nav);
  const hint = new URLSearchParams(window.location.search).get("account");
  const button = h("button", { type: "button", id: "sign-in" }, "Sign in");
  button.addEventListener("click", () => signIn(hint));
  if (hint && !sessionStorage.getItem("hourbank.signin.auto")) {
    sessionStorage.setItem("hourbank.signin.auto", "1"); // the invitation's link: straight on to sign-in, once
    signIn(hint);
    return;
  }
  replace(view, heading("Your support hours"),
    h("p", {}, "Sign in to see the hours you have left, every ticket and each minute logged on it, your statements and invoices."),
    isLocal ? h("p", { class: "notice", id: "local-note" }, "Local stack: signing in uses the local stand-in for the user pool's login page.") : null,
    button,
    h("p", {}, "New customer? ", h("a", { href: "/" }, "Buy hours"), " — you get an e-mail invitation to sign in."));
  say("");
}

window.addEventListener("hashchange", render);
onChange(() => { if (!who()) render(); });
completeSignIn().then(render, (error) => { say(error.message, "error"); render(); });
