// Buying hours while signed in to the portal (SPEC W1): the form is prefilled with the account and the
// portal's sign-in (web/portal/auth.js keeps it in this tab's sessionStorage), so the owner just picks hours.
"use strict";

(function () {
  var form = document.getElementById("order-form");
  var session = null;
  try { session = JSON.parse(window.sessionStorage.getItem("hourbank.session") || "null"); } catch (e) { session = null; }
  if (!session || !session.id_token) { return; }
  var claims;
  try {
    var part = session.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    claims = JSON.parse(window.atob(part));
  } catch (e) { return; }
  var account = claims["custom:account_id"] || new URLSearchParams(window.location.search).get("account");
  if (!account || claims.exp * 1000 < Date.now()) { return; }
  var existing = document.getElementById("buyer-existing");
  existing.checked = true;
  existing.dispatchEvent(new Event("change", { bubbles: true }));
  form.elements.account_id.value = account;
  form.elements.token.value = session.id_token;
  form.elements.account_id.dispatchEvent(new Event("input", { bubbles: true }));
  var note = document.getElementById("signed-in");
  note.textContent = "Signed in: buying hours for account " + account + ".";
  note.hidden = false;
})();
