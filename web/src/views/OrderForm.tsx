// The order form (API.md POST /orders, /orders/quote; SPEC O1, O6, O7, P1).
//
// * The price is the API's own quote (POST /orders/quote), asked again whenever the inputs change.
// * The HTML constraints mirror the API's rules; where the API still refuses, its message is shown next to
//   the field it names ("hours: must be between 1 and 500").
// * One Idempotency-Key per filling of the form: a double click, or submitting again after a network
//   error, is the same order. Changing any input makes a new key, since that is a different order.
// * SPEC O7: an order by name and e-mail for an address that has an account stops before Checkout and
//   offers the choice: sign in (the account's own rates) or pay the price quoted here.
// * Signed in to the portal (SPEC W1), the form is filled with the account and its sign-in.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, call } from "../api";
import { Field } from "../components/Field";
import { interactive } from "../interactive";
import { money } from "../format";
import type { OrderCreated, Quote } from "../types";
import { Cancelled } from "./Cancelled";
import { PriceTable } from "./PriceTable";

const QUOTE_DELAY_MS = 300;
const ASK = "Enter your details and the hours to see the price.";

type Name = "name" | "email" | "account_id" | "token" | "hours" | "kind";
type Values = Record<Name, string> & { buyer: "new" | "existing" };
type Errors = Partial<Record<Name, string>>;

const EMPTY: Values = { buyer: "new", name: "", email: "", account_id: "", token: "", hours: "", kind: "one_time" };

function orderBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { hours: Number(v.hours), kind: v.kind };
  if (v.buyer === "existing") body.account_id = v.account_id.trim();
  else Object.assign(body, { name: v.name.trim(), email: v.email.trim() });
  return body;
}

function readyToQuote(v: Values): boolean {
  if (!v.hours) return false;
  return v.buyer === "existing" ? Boolean(v.account_id.trim() && v.token.trim()) : Boolean(v.name.trim() && v.email.trim());
}

function bearerOf(v: Values): string | null {
  return v.buyer === "existing" && v.token.trim() ? v.token.trim() : null;
}

/** The API's problems, by the field each names ("hours: must be ..." -> hours). */
function fieldProblems(error: ApiError): Errors {
  const out: Errors = {};
  for (const problem of error.fields) {
    const match = /^([a-z_]+): /.exec(problem);
    if (match && (EMPTY as Record<string, unknown>)[match[1]] !== undefined && match[1] !== "buyer") {
      out[match[1] as Name] = problem;
    }
  }
  return out;
}

/** The portal's sign-in, when this tab has one: the account and its ID token (the library's storage). */
async function signedIn(): Promise<{ account: string; token: string } | null> {
  const hasSession = Object.keys(window.sessionStorage).some((k) => k.startsWith("oidc.user:"));
  if (!hasSession) return null; // nobody signed in here: the sign-in code is not even loaded
  const { currentUser, meOf } = await import("../auth");
  const user = await currentUser();
  const me = meOf(user);
  const account = me?.accountId || new URLSearchParams(window.location.search).get("account");
  return user && account ? { account, token: user.id_token as string } : null;
}

export function OrderForm() {
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState("");
  const [quote, setQuote] = useState(ASK);
  const [submitting, setSubmitting] = useState(false);
  const [existing, setExisting] = useState<OrderCreated | null>(null); // waiting for the buyer's choice (O7)
  const [signedInAs, setSignedInAs] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const notice = useRef<HTMLElement>(null);
  const latest = useRef(values);
  const key = useRef<string | null>(null);
  const seq = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  const apiErrors = useRef<Errors>({}); // the quote's last words about each field
  latest.current = values;

  function showApiError(error: ApiError) {
    if (error.status === 401) {
      setErrors({ token: "Your sign-in token was not accepted: sign in again (locally: make a new one)." });
      setMessage("Your sign-in token was not accepted.");
      return;
    }
    apiErrors.current = fieldProblems(error);
    setErrors(apiErrors.current);
    setMessage(error.message);
  }

  async function askQuote() {
    const mine = ++seq.current;
    const v = latest.current;
    if (!readyToQuote(v)) {
      setQuote(ASK);
      return;
    }
    setQuote("Calculating the price…");
    try {
      const q = await call<Quote>("POST", "/orders/quote", { body: orderBody(v), token: bearerOf(v) });
      if (mine !== seq.current) return; // an older answer after a newer question: ignore it
      setErrors({});
      setMessage("");
      apiErrors.current = {};
      let text = `${q.hours} h ${q.kind === "recurring" ? "every month" : "once"}: ${money(q.price)}`;
      if (q.discount && q.discount.amount_minor > 0) text += ` (${money(q.discount)} discount included)`;
      setQuote(text);
    } catch (error) {
      if (mine !== seq.current) return;
      if (error instanceof ApiError) {
        setQuote("No price yet: see the message above the button.");
        showApiError(error);
      } else {
        setQuote("The price could not be fetched: check your connection.");
      }
    }
  }

  function changed(next: Values) {
    latest.current = next;
    setValues(next);
    key.current = null; // different inputs are a different order
    setExisting(null);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(askQuote, QUOTE_DELAY_MS);
  }

  const set = (name: Name | "buyer") => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    const next = { ...latest.current, [name]: value } as Values;
    if (name === "buyer") {
      setErrors({});
      setMessage("");
    }
    changed(next);
  };

  useEffect(() => {
    interactive();
    signedIn().then((who) => {
      if (!who) return;
      setSignedInAs(who.account);
      changed({ ...latest.current, buyer: "existing", account_id: who.account, token: who.token });
    });
  }, []);

  useEffect(() => {
    if (existing) notice.current?.focus();
  }, [existing]);

  function checkLocally(): boolean {
    const found: Errors = {};
    let first: HTMLInputElement | null = null;
    for (const input of Array.from(form.current?.elements || []) as HTMLInputElement[]) {
      if (!input.willValidate || input.checkValidity()) continue;
      first ??= input;
      // The API's own words when the quote already gave them, else the browser's.
      const name = input.name as Name;
      found[name] = apiErrors.current[name] || input.validationMessage;
    }
    if (!first) return true;
    setErrors(found);
    setMessage("Please correct the highlighted fields.");
    first.focus();
    return false;
  }

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    if (submitting) return;
    setErrors({});
    setMessage("");
    if (!checkLocally()) return;
    key.current ??= crypto.randomUUID ? crypto.randomUUID() : uuid();
    const v = latest.current;
    setSubmitting(true);
    try {
      const order = await call<OrderCreated>("POST", "/orders", {
        body: orderBody(v),
        token: bearerOf(v),
        headers: { "Idempotency-Key": key.current },
      });
      if (order.credits_existing_account) {
        setExisting(order); // SPEC O7: the buyer chooses before Checkout
        setSubmitting(false);
      } else {
        window.location.assign(order.checkout_url);
      }
    } catch (error) {
      if (error instanceof ApiError) showApiError(error);
      else setMessage("The order could not be sent: check your connection and try again.");
      setSubmitting(false);
    }
  }

  const isExisting = values.buyer === "existing";
  const invalid = (name: Name) => (errors[name] ? "true" : undefined);
  return (
    <>
      <h1>Buy pre-paid support hours</h1>
      <Cancelled />
      <PriceTable />
      {signedInAs ? (
        <p id="signed-in" class="notice">
          Signed in: buying hours for account {signedInAs}.
        </p>
      ) : null}
      <p class="help">
        Already a customer? <a href="portal/">Sign in to your portal</a> to see your hours.
      </p>

      <form id="order-form" ref={form} noValidate onSubmit={submit}>
        <fieldset>
          <legend>Who is ordering</legend>
          <div class="choice">
            <input type="radio" id="buyer-new" name="buyer" value="new" checked={!isExisting} onChange={set("buyer")} />
            <label for="buyer-new">I am a new customer</label>
          </div>
          <div class="choice">
            <input
              type="radio"
              id="buyer-existing"
              name="buyer"
              value="existing"
              checked={isExisting}
              onChange={set("buyer")}
            />
            <label for="buyer-existing">I already have an account</label>
          </div>
        </fieldset>

        <fieldset id="new-customer" hidden={isExisting} disabled={isExisting}>
          <legend>Your details</legend>
          <Field id="name" label="Company or your name" error={errors.name || ""}>
            {(p) => (
              <input
                {...p}
                name="name"
                type="text"
                autocomplete="organization"
                required
                maxLength={200}
                value={values.name}
                onInput={set("name")}
                aria-invalid={invalid("name")}
              />
            )}
          </Field>
          <Field id="email" label="E-mail" error={errors.email || ""}>
            {(p) => (
              <input
                {...p}
                name="email"
                type="email"
                autocomplete="email"
                required
                maxLength={254}
                value={values.email}
                onInput={set("email")}
                aria-invalid={invalid("email")}
              />
            )}
          </Field>
        </fieldset>

        <fieldset id="existing-customer" hidden={!isExisting} disabled={!isExisting}>
          <legend>Your account</legend>
          <Field id="account_id" label="Account id" error={errors.account_id || ""}>
            {(p) => (
              <input
                {...p}
                name="account_id"
                type="text"
                required
                autocomplete="off"
                spellcheck={false}
                value={values.account_id}
                onInput={set("account_id")}
                aria-invalid={invalid("account_id")}
              />
            )}
          </Field>
          <Field
            id="token"
            label="Sign-in token"
            error={errors.token || ""}
            help={
              <>
                In production, signing in fills this for you. On the local stack, make one with{" "}
                <code>python scripts/dev_token.py --role customer --account ACCOUNT_ID</code>.
              </>
            }
          >
            {(p) => (
              <input
                {...p}
                name="token"
                type="password"
                required
                autocomplete="off"
                spellcheck={false}
                value={values.token}
                onInput={set("token")}
                aria-invalid={invalid("token")}
              />
            )}
          </Field>
        </fieldset>

        <fieldset>
          <legend>What to buy</legend>
          <Field id="hours" label="Hours" error={errors.hours || ""} help="From 1 to 500 hours, in half hours (e.g. 2.5).">
            {(p) => (
              <input
                {...p}
                name="hours"
                type="number"
                inputMode="decimal"
                min="1"
                max="500"
                step="0.5"
                required
                value={values.hours}
                onInput={set("hours")}
                aria-invalid={invalid("hours")}
              />
            )}
          </Field>
          <div class="choice">
            <input
              type="radio"
              id="kind-one-time"
              name="kind"
              value="one_time"
              checked={values.kind === "one_time"}
              onChange={set("kind")}
            />
            <label for="kind-one-time">Once</label>
          </div>
          <div class="choice">
            <input
              type="radio"
              id="kind-recurring"
              name="kind"
              value="recurring"
              checked={values.kind === "recurring"}
              onChange={set("kind")}
              aria-describedby="kind-error"
              aria-invalid={invalid("kind")}
            />
            <label for="kind-recurring">Every month (members only)</label>
          </div>
          <p class="field-error" id="kind-error" aria-live="polite">
            {errors.kind || ""}
          </p>
        </fieldset>

        <section class="quote" aria-labelledby="quote-title">
          <h2 id="quote-title">Price</h2>
          <p id="quote" aria-live="polite">
            {quote}
          </p>
        </section>

        <div id="errors" class="errors" role="alert" aria-live="assertive">
          {message}
        </div>

        <section id="existing-account" class="notice" role="status" tabIndex={-1} hidden={!existing} ref={notice}>
          <p id="existing-account-message">{existing?.message || "This e-mail address already has an account."}</p>
          <p>Signed in to your portal, you buy hours at your account's own rates.</p>
          <div class="actions">
            <a id="existing-account-sign-in" class="button" href="portal/">
              Sign in to your portal
            </a>
            <button
              type="button"
              id="existing-account-continue"
              class="secondary"
              onClick={() => existing && window.location.assign(existing.checkout_url)}
            >
              {existing ? `Continue to payment at ${money(existing.price)}` : "Continue to payment"}
            </button>
          </div>
        </section>

        <button type="submit" id="submit" hidden={Boolean(existing)} disabled={submitting}>
          Continue to payment
        </button>
      </form>
    </>
  );
}

/** crypto.randomUUID needs a secure context; the same RFC 4122 v4 UUID from getRandomValues. */
function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => (x + 0x100).toString(16).slice(1)).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
