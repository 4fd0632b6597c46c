// The order form (API.md POST /orders, /orders/quote). Plain script, no build step: it runs as served.
//
// * The price is the API's own quote (POST /orders/quote), asked again whenever the inputs change.
// * The HTML constraints mirror the API's rules; where the API still refuses, its 400 message is shown
//   next to the field it names ("hours: must be between 1 and 500").
// * One Idempotency-Key per filling of the form: a double click, or submitting again after a network
//   error, is the same order. Changing any input makes a new key, since that is a different order.
// * SPEC O7: an order by name and e-mail for an address that has an account stops before Checkout and
//   offers the choice: sign in (the account's own rates) or pay the price quoted here.
// * Back from Checkout's cancel link (/?cancelled=ID), the order is asked before anything is said about it.
"use strict";

(function () {
  var API = String(window.HOURBANK_API_URL || "").replace(/\/+$/, "");
  var QUOTE_DELAY_MS = 300;
  var FIELDS = ["name", "email", "account_id", "token", "hours", "kind"];

  var form = document.getElementById("order-form");
  var newFields = document.getElementById("new-customer");
  var existingFields = document.getElementById("existing-customer");
  var quoteEl = document.getElementById("quote");
  var errorsEl = document.getElementById("errors");
  var submitButton = document.getElementById("submit");
  var existingNotice = document.getElementById("existing-account");
  var existingMessage = document.getElementById("existing-account-message");
  var continueButton = document.getElementById("existing-account-continue");

  var idempotencyKey = null;
  var quoteTimer = null;
  var quoteSeq = 0;
  var submitting = false;
  var apiErrors = {}; // field -> the API's last message about it (from the quote)
  var checkoutUrl = null; // the order waiting for the buyer's choice (SPEC O7)

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; the same RFC 4122 v4 UUID from getRandomValues.
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function existing() {
    return form.elements.buyer.value === "existing";
  }

  function formatMoney(price) {
    // SPEC U2: integer minor units with the currency; the currency says how many decimals it has.
    var format = new Intl.NumberFormat(undefined, { style: "currency", currency: price.currency });
    var digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(price.amount_minor / Math.pow(10, digits));
  }

  function body() {
    var out = { hours: Number(form.elements.hours.value), kind: form.elements.kind.value };
    if (existing()) {
      out.account_id = form.elements.account_id.value.trim();
    } else {
      out.name = form.elements.name.value.trim();
      out.email = form.elements.email.value.trim();
    }
    return out;
  }

  function headers(extra) {
    var h = { "Content-Type": "application/json", Accept: "application/json" };
    var token = form.elements.token.value.trim();
    if (existing() && token) {
      h.Authorization = "Bearer " + token;
    }
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }

  function post(path, extraHeaders) {
    return fetch(API + path, { method: "POST", headers: headers(extraHeaders), body: JSON.stringify(body()) })
      .then(function (reply) {
        return reply.json().then(function (b) { return { status: reply.status, body: b }; },
                                 function () { return { status: reply.status, body: null }; });
      });
  }

  // -- errors
  function fieldError(name) {
    return document.getElementById(name + "-error");
  }

  function clearErrors() {
    errorsEl.textContent = "";
    FIELDS.forEach(function (name) {
      fieldError(name).textContent = "";
      var input = document.getElementById(name === "kind" ? "kind-recurring" : name);
      if (input) { input.removeAttribute("aria-invalid"); }
    });
  }

  function setFieldError(name, text) {
    var slot = fieldError(name);
    if (!slot) { return false; }
    slot.textContent = text;
    var input = document.getElementById(name === "kind" ? "kind-recurring" : name);
    if (input) { input.setAttribute("aria-invalid", "true"); }
    return true;
  }

  function showApiError(reply) {
    // API.md errors: {"error": {"code", "message", "details": {"fields": ["hours: must be ..."]}}}
    var error = (reply.body && reply.body.error) || {};
    var message = error.message || (reply.body && reply.body.message) || "The request failed (HTTP " + reply.status + ").";
    if (reply.status === 401) {
      setFieldError("token", "Your sign-in token was not accepted: sign in again (locally: make a new one).");
      errorsEl.textContent = "Your sign-in token was not accepted.";
      return;
    }
    var problems = (error.details && error.details.fields) || String(message).split("; ");
    apiErrors = {};
    problems.forEach(function (problem) {
      var match = /^([a-z_]+): /.exec(problem);
      if (match && setFieldError(match[1], problem)) { apiErrors[match[1]] = problem; }
    });
    errorsEl.textContent = message;
  }

  // -- the price, before paying
  function readyToQuote() {
    if (!form.elements.hours.value) { return false; }
    return existing() ? Boolean(form.elements.account_id.value.trim() && form.elements.token.value.trim())
                      : Boolean(form.elements.name.value.trim() && form.elements.email.value.trim());
  }

  function quote() {
    var seq = ++quoteSeq;
    if (!readyToQuote()) {
      quoteEl.textContent = "Enter your details and the hours to see the price.";
      return;
    }
    quoteEl.textContent = "Calculating the price…";
    post("/orders/quote").then(function (reply) {
      if (seq !== quoteSeq) { return; } // an older answer after a newer question: ignore it
      clearErrors();
      apiErrors = {};
      if (reply.status !== 200) {
        quoteEl.textContent = "No price yet: see the message above the button.";
        showApiError(reply);
        return;
      }
      var q = reply.body;
      var text = q.hours + " h " + (q.kind === "recurring" ? "every month" : "once") + ": " + formatMoney(q.price);
      if (q.discount && q.discount.amount_minor > 0) {
        text += " (" + formatMoney(q.discount) + " discount included)";
      }
      quoteEl.textContent = text;
    }, function () {
      if (seq === quoteSeq) { quoteEl.textContent = "The price could not be fetched: check your connection."; }
    });
  }

  function changed() {
    idempotencyKey = null; // different inputs are a different order
    hideExistingAccount();
    window.clearTimeout(quoteTimer);
    quoteTimer = window.setTimeout(quote, QUOTE_DELAY_MS);
  }

  function toggleBuyer() {
    var isExisting = existing();
    existingFields.hidden = existingFields.disabled = !isExisting;
    newFields.hidden = newFields.disabled = isExisting;
    clearErrors();
    changed();
  }

  // -- submitting
  function checkLocally() {
    var ok = true;
    var first = null;
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.willValidate || input.checkValidity()) { return; }
      ok = false;
      first = first || input;
      // The API's own words when the quote already gave them, else the browser's.
      setFieldError(input.name, apiErrors[input.name] || input.validationMessage);
    });
    if (!ok) {
      errorsEl.textContent = "Please correct the highlighted fields.";
      first.focus();
    }
    return ok;
  }

  // -- an address that already has an account (SPEC O7)
  function offerSignIn(order) {
    // The order is priced as anyone's and, once paid, credits that account; a member pays less signed in.
    // Say so before Checkout, in the API's words, and nothing else about the account.
    existingMessage.textContent = order.message || "This e-mail address already has an account.";
    continueButton.textContent = "Continue to payment at " + formatMoney(order.price);
    checkoutUrl = order.checkout_url;
    existingNotice.hidden = false;
    submitButton.hidden = true; // one way to pay at a time: the notice's button
    existingNotice.focus();
  }

  function hideExistingAccount() {
    checkoutUrl = null;
    existingNotice.hidden = true;
    submitButton.hidden = false;
  }

  function submit(event) {
    event.preventDefault();
    if (submitting) { return; }
    clearErrors();
    if (!checkLocally()) { return; }
    idempotencyKey = idempotencyKey || uuid();
    submitting = true;
    submitButton.disabled = true;
    errorsEl.textContent = "";
    post("/orders", { "Idempotency-Key": idempotencyKey }).then(function (reply) {
      if (reply.status === 201 || reply.status === 200) {
        if (reply.body.credits_existing_account) { // SPEC O7: the buyer chooses before Checkout
          submitting = false;
          submitButton.disabled = false;
          offerSignIn(reply.body);
        } else {
          window.location = reply.body.checkout_url;
        }
        return;
      }
      showApiError(reply);
      submitting = false;
      submitButton.disabled = false;
    }, function () {
      errorsEl.textContent = "The order could not be sent: check your connection and try again.";
      submitting = false;
      submitButton.disabled = false;
    });
  }

  // -- wiring
  Array.prototype.forEach.call(form.elements.buyer, function (radio) {
    radio.addEventListener("change", toggleBuyer);
  });
  form.addEventListener("input", function (event) {
    if (event.target.name !== "buyer") { changed(); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") { changed(); }
  });
  form.addEventListener("submit", submit);
  continueButton.addEventListener("click", function () {
    if (checkoutUrl) { window.location = checkoutUrl; }
  });

  // -- back from Checkout's cancel link
  function showCancelled(orderId) {
    // Coming back is no proof that nothing was paid (paid in another tab, or back after paying): the
    // order's own status decides what is said (GET /orders/{id}, public: the id is the key).
    var note = document.getElementById("cancelled");
    function say(text, linkText) {
      note.textContent = text;
      if (linkText) {
        var link = document.createElement("a");
        link.href = "paid.html?order=" + encodeURIComponent(orderId); // Checkout's success page for it
        link.textContent = linkText;
        note.appendChild(document.createTextNode(" "));
        note.appendChild(link);
      }
      note.hidden = false;
    }
    fetch(API + "/orders/" + encodeURIComponent(orderId), { headers: { Accept: "application/json" } })
      .then(function (reply) {
        if (reply.status === 404) { return; } // no such order: nothing to say about it
        if (!reply.ok) { throw new Error("HTTP " + reply.status); }
        return reply.json().then(function (order) {
          if (order.status === "pending" || order.status === "failed") {
            say("The payment was cancelled: order " + orderId + " was not paid and nothing was charged.");
          } else if (order.status === "paid") {
            say("Order " + orderId + " is already paid: there is nothing more to pay.", "See the paid order");
          } else {
            say("Order " + orderId + " is " + order.status + ".", "See the order");
          }
        });
      })
      .catch(function () {
        say("We could not check order " + orderId + " just now: reload this page to try again.");
      });
  }

  var cancelled = new URLSearchParams(window.location.search).get("cancelled");
  if (cancelled) { showCancelled(cancelled); }
  toggleBuyer();
})();
