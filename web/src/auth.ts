// Signing in (SPEC W1; STYLE 19): oidc-client-ts, authorization code with PKCE, against the user pool
// (Cognito's managed login) in AWS and the local stack's OIDC stand-in (scripts/devstack/local_auth.py)
// locally - the same code for both, the endpoints read from the authority's discovery document.
//
// Tokens are kept where the library keeps them (sessionStorage: this tab only, gone when it closes). The ID
// token is the bearer: it carries `cognito:groups` and `custom:account_id`, which the API reads. It is renewed
// with the refresh token a minute before it expires (half-way through a short local one).
import { type User, UserManager } from "oidc-client-ts";
import { AUTH } from "./config";

const REFRESH_MARGIN_S = 60;
const site = window.location.origin;
const portal = new URL(AUTH.redirectUri || "/portal/", site).href;

export const manager = new UserManager({
  authority: new URL(AUTH.authority, site).href.replace(/\/+$/, ""),
  client_id: AUTH.clientId,
  redirect_uri: portal,
  response_type: "code",
  scope: "openid email profile",
  automaticSilentRenew: false, // renewed below, on the ID token's own clock
  ...(AUTH.logoutUrl ? { metadataSeed: { end_session_endpoint: AUTH.logoutUrl } } : {}),
});

export type Role = "customer" | "staff";

/** Who is signed in, from the ID token's claims. */
export interface Me {
  role: Role;
  sub: string | null;
  groups: string[];
  billing: boolean;
  accountId: string | null;
  name: string | null;
  email: string | null;
  expiresAt: number;
}

function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return String(value || "")
    .replace(/[[\]]/g, "")
    .split(/[ ,]+/)
    .filter(Boolean);
}

export function meOf(user: User | null): Me | null {
  if (!user || !user.id_token) return null;
  const c = user.profile as Record<string, unknown>;
  const groups = groupsOf(c["cognito:groups"]);
  const staff = groups.includes("technicians") || groups.includes("billing");
  return {
    role: staff ? "staff" : "customer",
    sub: (c.sub as string) || null,
    groups,
    billing: groups.includes("billing"),
    accountId: (c["custom:account_id"] as string) || null,
    name: (c.name as string) || null,
    email: (c.email as string) || null,
    expiresAt: Number(c.exp) || 0,
  };
}

/** The signed-in user, or null (also when the ID token has expired and cannot be renewed). */
export async function currentUser(): Promise<User | null> {
  const user = await manager.getUser();
  if (!user || !user.id_token) return null;
  if (expiresIn(user) < 5) return renew();
  return user;
}

function claims(user: User): { exp: number; iat: number } {
  const c = user.profile as unknown as { exp: number; iat: number };
  return { exp: Number(c.exp) || 0, iat: Number(c.iat) || 0 };
}

function expiresIn(user: User): number {
  return claims(user).exp - Date.now() / 1000;
}

let renewing: Promise<User | null> | null = null;

/** A new ID token with the refresh token (the library's token request); signed out when that is refused. */
export function renew(): Promise<User | null> {
  renewing ??= manager
    .signinSilent()
    .catch(async () => {
      await manager.removeUser(); // the refresh token expired or was revoked: sign in again
      return null;
    })
    .finally(() => {
      renewing = null;
    });
  return renewing;
}

let timer: number | undefined;

function schedule(user: User | null): void {
  window.clearTimeout(timer);
  if (!user) return;
  const { exp, iat } = claims(user);
  const margin = Math.min(REFRESH_MARGIN_S, (exp - iat) / 2);
  timer = window.setTimeout(() => void renew(), Math.max(0, (exp - margin) * 1000 - Date.now()));
}

manager.events.addUserLoaded(schedule);
manager.events.addUserUnloaded(() => schedule(null));

/** Keep the token fresh while the page is open; `changed` hears every sign-in, renewal and sign-out. */
export async function watch(changed: (me: Me | null) => void): Promise<void> {
  manager.events.addUserLoaded((user) => changed(meOf(user)));
  manager.events.addUserUnloaded(() => changed(null));
  manager.events.addUserSignedOut(() => changed(null));
  schedule(await manager.getUser());
}

/** The bearer for the API: the ID token, renewed first when it is about to expire (a tab that slept). */
export async function idToken(): Promise<string | null> {
  return (await currentUser())?.id_token ?? null;
}

/** To the login page; back at the portal on the same view. `hint`: the account an invitation names. */
export function signIn(hint?: string | null): Promise<void> {
  return manager.signinRedirect({ login_hint: hint || undefined, state: { back: window.location.hash } });
}

/**
 * Back from the login page (?code=&state=): the code exchanged (with the PKCE verifier) for the tokens. The
 * address loses its code at once, before the exchange: a reload or a link followed meanwhile stays on the
 * portal (same document) instead of reloading with a code already spent.
 */
export async function completeSignIn(): Promise<boolean> {
  const answer = window.location.href;
  const params = new URLSearchParams(window.location.search);
  if (!params.get("code") || !params.get("state")) return false;
  window.history.replaceState(null, "", portal + window.location.hash);
  const user = await manager.signinRedirectCallback(answer);
  const back = (user.state as { back?: string } | undefined)?.back || "";
  if (back && !window.location.hash) window.location.hash = back; // the view the sign-in started from
  return true;
}

/** Forget the tokens here, then the managed login's own session (its /logout, back to the portal). */
export function signOut(): Promise<void> {
  return manager.signoutRedirect({ extraQueryParams: { client_id: AUTH.clientId, logout_uri: portal } });
}
