// The customer portal and the staff pages (SPEC W1, W2): a hash router rendering one view at a time, each
// reading the API (API.md) through the shared client with the signed-in bearer.
import { useCallback, useEffect, useState } from "preact/hooks";
import { setBearer } from "../../api";
import { completeSignIn, idToken, type Me, meOf, signIn, signOut, watch, currentUser } from "../../auth";
import { personName } from "../../format";
import { interactive } from "../../interactive";
import { AccountView } from "./AccountView";
import { ContactsView } from "./ContactsView";
import { ReloadContext } from "./data";
import { AgreementView } from "./AgreementView";
import { InvoicesView } from "./InvoicesView";
import { canBuy, MeContext } from "./me";
import { PaymentsView } from "./PaymentsView";
import { QueueView } from "./QueueView";
import { RaiseTicket } from "./RaiseTicket";
import { SearchView } from "./SearchView";
import { SettingsView } from "./SettingsView";
import { SignedOut } from "./SignedOut";
import { StatementsView } from "./StatementsView";
import { TicketView } from "./TicketView";
import { VisitsView } from "./VisitsView";
import { OpenTicketView } from "../desk/OpenTicketView";
import { billingView } from "../billing/routes";
import { InboxView } from "../desk/InboxView";

setBearer({ token: idToken, expired: () => void signIn() });

interface Route {
  parts: string[];
  query: Record<string, string>;
}

function readRoute(): Route {
  const [path, qs] = (window.location.hash.replace(/^#/, "") || "/").split("?");
  return {
    parts: path.split("/").filter(Boolean).map(decodeURIComponent),
    query: Object.fromEntries(new URLSearchParams(qs || "")),
  };
}

function useHashRoute(): Route {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const changed = () => setRoute(readRoute());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

/** The view for the route, and the account the navigation is about. */
function viewFor(me: Me, { parts, query }: Route): { view: preact.JSX.Element; accountId: string | null } {
  const own = me.role === "customer" ? me.accountId : null;
  if (parts[0] === "accounts" && parts[1]) {
    const id = parts[1];
    const views = {
      statements: StatementsView,
      invoices: InvoicesView,
      settings: SettingsView,
      contacts: ContactsView,
      payments: PaymentsView,
      visits: VisitsView,
      agreement: AgreementView,
      raise: RaiseTicket,
    };
    const View = views[parts[2] as keyof typeof views] || AccountView;
    return { view: <View key={`${parts[2]}:${id}`} accountId={id} />, accountId: id };
  }
  if (parts[0] === "tickets" && parts[1]) {
    // a ticket id names its account: tkt_<ulid>.acc_<ulid>
    return { view: <TicketView key={parts[1]} ticketId={parts[1]} />, accountId: parts[1].split(".")[1] || own };
  }
  if (me.role === "staff" && parts[0] === "queue") return { view: <QueueView query={query} />, accountId: null };
  if (me.role === "staff" && parts[0] === "desk" && parts[1] === "new") {
    return { view: <OpenTicketView key={query.account || ""} query={query} />, accountId: null };
  }
  if (me.role === "staff" && parts[0] === "inbox") return { view: <InboxView query={query} />, accountId: null }; // SPEC E1
  if (me.role === "staff" && parts[0] === "search") return { view: <SearchView query={query} />, accountId: null };
  if (me.billing && parts[0] === "billing") return billingView(parts, query); // SPEC W4: billing's desk
  // SPEC W3: staff land on their desk - the account finder and the queue, due first on top
  if (me.role === "staff") {
    return {
      view: (
        <>
          <SearchView query={query} />
          <QueueView query={query} embedded />
        </>
      ),
      accountId: null,
    };
  }
  return { view: <AccountView accountId={own || ""} />, accountId: own };
}

function Nav({ me, accountId }: { me: Me; accountId: string | null }) {
  const links: [string, string][] = [];
  if (me.role === "staff") links.push(["#/queue", "Ticket queue"], ["#/desk/new", "Open a ticket"], ["#/search", "Find an account"], ["#/inbox", "Inbox"]);
  if (me.billing) links.push(["#/billing", "Billing"]); // SPEC W4
  if (accountId) {
    const base = `#/accounts/${encodeURIComponent(accountId)}`;
    links.push([base, me.role === "staff" ? "Account" : "Hours and tickets"], [`${base}/statements`, "Statements"], [`${base}/invoices`, "Invoices"]);
    links.push([`${base}/payments`, "Payments"], [`${base}/visits`, "Visits"], [`${base}/agreement`, "Agreement"]);
    if (me.role === "customer") links.push([`${base}/raise`, "Raise a ticket"]); // SPEC W1
    if (canBuy(me)) links.push([`${base}/settings`, "Settings"], [`/?account=${encodeURIComponent(accountId)}`, "Buy hours"]);
    if (me.billing) links.push([`#/billing/accounts/${encodeURIComponent(accountId)}`, "Billing for this account"]);
    links.push([`${base}/contacts`, "Contacts"]); // SPEC W1: who signs in
  }
  return (
    <nav id="nav" aria-label="Portal">
      <ul>
        {links.map(([href, text]) => (
          <li>
            <a href={href} aria-current={href === window.location.hash ? "page" : undefined}>
              {text}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function userLine(me: Me): string {
  if (me.role === "staff") return `${personName(me, "Staff")} (${me.groups.join(", ")})`;
  return me.email ? `Signed in as ${me.email}` : `Customer ${me.accountId}`; // SPEC W1: which contact this is
}

export function Portal() {
  const [me, setMe] = useState<Me | null | undefined>(undefined); // undefined: not known yet
  const [failed, setFailed] = useState("");
  const [version, setVersion] = useState(0);
  const route = useHashRoute();
  const reload = useCallback((delayMs = 0) => {
    window.setTimeout(() => setVersion((v) => v + 1), delayMs);
  }, []);

  useEffect(() => {
    completeSignIn()
      .catch((error: Error) => setFailed(`Signing in failed: ${error.message}`))
      .then(currentUser)
      .then((user) => setMe(meOf(user)));
    void watch((next) => setMe(next));
  }, []);

  useEffect(() => {
    if (me !== undefined) interactive(); // the first view (signed out, or the signed-in one) is on screen
  }, [me === undefined]);

  if (me === undefined) return null;
  const chosen = me ? viewFor(me, route) : null;
  return (
    <MeContext.Provider value={me}>
      <a class="skip" href="#view">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Hourbank
        </a>
        <div id="user" class="user">
          {me ? (
            <>
              {userLine(me)}{" "}
              <button type="button" id="sign-out" class="secondary" onClick={() => void signOut()}>
                Sign out
              </button>
            </>
          ) : null}
        </div>
      </header>
      {me && chosen ? <Nav me={me} accountId={chosen.accountId} /> : <nav id="nav" aria-label="Portal" />}
      <main id="view" tabIndex={-1}>
        <ReloadContext.Provider value={{ version, reload }}>{chosen ? chosen.view : <SignedOut failed={failed} />}</ReloadContext.Provider>
      </main>
    </MeContext.Provider>
  );
}
