// The page Checkout returns to (paid.html?order=ID): the webhook credits the hours, usually within a
// second or two of the payment, so the page asks for the order until it is no longer pending.
"use strict";

(function () {
  var API = String(window.HOURBANK_API_URL || "").replace(/\/+$/, "");
  var POLL_MS = 1000;
  var GIVE_UP_MS = 60000;
  var statusEl = document.getElementById("status");
  var refEl = document.getElementById("order-ref");
  var orderId = new URLSearchParams(window.location.search).get("order");
  var started = Date.now();

  function hoursText(minutes) {
    // SPEC U1: hours as a decimal for people ("2.5", "10").
    return String(Math.round((minutes / 60) * 1000) / 1000);
  }

  function say(text) {
    statusEl.textContent = text;
  }

  function showPaid(order) {
    if (order.visit_id) {  // SPEC V1: an onsite visit is paid in money; no hours are credited
      statusEl.textContent = "Paid: " + order.title + ". Your onsite visit is confirmed.";
      return;
    }
    if (order.credits_existing_account) {
      // SPEC O7: the address already had an account; the order credited it and says nothing else about it.
      say("Paid: " + hoursText(order.credited_minutes) + " h credited to the account of this e-mail address. " +
          "Sign in to see its balance.");
      return;
    }
    statusEl.textContent = "Paid: " + hoursText(order.credited_minutes) + " h credited — your balance is now ";
    var balance = document.createElement("strong");
    balance.id = "balance";
    balance.textContent = order.balance_hours + " h";
    statusEl.appendChild(balance);
    statusEl.appendChild(document.createTextNode("."));
  }

  function signInHint(order) {
    // A new customer learns their account id and where to sign in (the invitation e-mail has the link too);
    // only the order that opened the account sent an invitation (an existing customer's or a visit's did not).
    if (!order.account_id || !order.new_account) { return; }
    document.getElementById("account-id").textContent = order.account_id;
    document.getElementById("portal-link").href = "portal/?account=" + encodeURIComponent(order.account_id);
    document.getElementById("signin-hint").hidden = false;
  }

  function show(order) {
    switch (order.status) {
      case "paid":
        signInHint(order);  // once paid: the payment opened the account and sent the invitation
        showPaid(order);
        return true;
      case "pending":
        say("Waiting for the payment to be confirmed…");
        return false;
      case "failed":
        say("The payment failed: nothing was charged and no hours were credited. You can order again.");
        return true;
      default:
        say("This order is " + order.status + "." +
            (order.balance_hours === undefined ? "" : " Your balance is now " + order.balance_hours + " h."));
        return true;
    }
  }

  function poll() {
    fetch(API + "/orders/" + encodeURIComponent(orderId), { headers: { Accept: "application/json" } })
      .then(function (reply) {
        return reply.json().then(function (body) { return { status: reply.status, body: body }; },
                                 function () { return { status: reply.status, body: null }; });
      })
      .then(function (reply) {
        if (reply.status === 404) {
          say("We cannot find this order.");
          return;
        }
        if (reply.status === 200 && show(reply.body)) {
          return;
        }
        next();
      })
      .catch(function () { next(); });
  }

  function next() {
    if (Date.now() - started >= GIVE_UP_MS) {
      say("The payment has not been confirmed yet. If you paid, the hours arrive shortly: reload this page to check again.");
      return;
    }
    window.setTimeout(poll, POLL_MS);
  }

  if (!orderId) {
    say("No order was given: this page is where the payment sends you back to.");
    return;
  }
  refEl.textContent = "Order " + orderId;
  poll();
})();
