// Signing in (SPEC W1): OAuth 2.0 authorization code with PKCE against the user pool's managed login
// (in AWS) or the local stack's stand-in (config.js `HOURBANK_AUTH.local`) - the same code for both.
//
// Tokens are kept as a browser app should: in memory, mirrored to sessionStorage (this tab only, gone when
// it closes; never localStorage, never a cookie the API would accept without the app), and the ID token is
// refreshed with the refresh token a minute before it expires (or half-way, for short local tokens). The
// ID token is the bearer: it carries `cognito:groups` and `custom:account_id`, which the API reads.
const CONFIG = window.HOURBANK_AUTH || {};
const AUTHORITY = String(CONFIG.authority || "").replace(/\/+$/, "");
const STORE = "hourbank.session";
const PENDING = "hourbank.signin";
const REFRESH_MARGIN_S = 60;

let session = load();
let refreshTimer = null;
const listeners = new Set();

function load() {
  try { return JSON.parse(sessionStorage.getItem(STORE)) || null; } catch { return null; }
}

function save(next) {
  session = next;
  if (next) sessionStorage.setItem(STORE, JSON.stringify(next));
  else sessionStorage.removeItem(STORE);
  schedule();
  listeners.forEach((fn) => fn(session));
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function claimsOf(token) {
  const part = token.split(".")[1] || "";
  const json = decodeURIComponent(Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")),
                                             (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
  return JSON.parse(json);
}

function redirectUri() {
  return new URL("./", window.location.href).href.split("#")[0].split("?")[0];
}

export const isLocal = Boolean(CONFIG.local);

// Who is signed in: {role: "customer"|"staff", sub, groups, accountId, email, expiresAt} or null.
export function who() {
  if (!session) return null;
  const c = claimsOf(session.id_token);
  const groups = Array.isArray(c["cognito:groups"]) ? c["cognito:groups"] : String(c["cognito:groups"] || "").replace(/[[\]]/g, "").split(/[ ,]+/).filter(Boolean);
  const staff = groups.includes("technicians") || groups.includes("billing");
  return { role: staff ? "staff" : "customer", sub: c.sub || null, groups, billing: groups.includes("billing"),
           accountId: c["custom:account_id"] || null, email: c.email || null, expiresAt: c.exp };
}

export function onChange(fn) { listeners.add(fn); }

export async function signIn(hint) {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, back: window.location.hash || "" }));
  const params = new URLSearchParams({ response_type: "code", client_id: CONFIG.clientId, redirect_uri: redirectUri(),
                                       scope: "openid email profile", state, code_challenge: challenge,
                                       code_challenge_method: "S256" });
  if (hint) params.set("login_hint", hint);
  window.location.assign(`${AUTHORITY}/oauth2/authorize?${params}`);
}

async function tokenRequest(form) {
  const reply = await fetch(`${AUTHORITY}/oauth2/token`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: CONFIG.clientId, ...form }),
  });
  if (!reply.ok) throw new Error(`sign-in failed (HTTP ${reply.status})`);
  return reply.json();
}

// After the login page sends the browser back with ?code=&state=: exchange the code (with the verifier).
export async function completeSignIn() {
  const params = new URLSearchParams(window.location.search);
  const code = params.get("code");
  if (!code) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, "", redirectUri() + (pending && pending.back ? pending.back : ""));
  if (!pending || pending.state !== params.get("state")) throw new Error("the sign-in answer does not match the request");
  const t = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: pending.verifier,
                                 redirect_uri: redirectUri() });
  save({ id_token: t.id_token, access_token: t.access_token, refresh_token: t.refresh_token });
  return true;
}

async function refresh() {
  if (!session || !session.refresh_token) return;
  try {
    const t = await tokenRequest({ grant_type: "refresh_token", refresh_token: session.refresh_token });
    save({ ...session, id_token: t.id_token, access_token: t.access_token });
  } catch {
    save(null); // the refresh token expired or was revoked: sign in again
  }
}

function schedule() {
  window.clearTimeout(refreshTimer);
  if (!session) return;
  const c = claimsOf(session.id_token);
  const life = c.exp - c.iat;
  const margin = Math.min(REFRESH_MARGIN_S, life / 2);
  const due = (c.exp - margin) * 1000 - Date.now();
  refreshTimer = window.setTimeout(refresh, Math.max(0, due));
}

// The bearer for the API; refreshed first when it is about to expire (a tab that slept).
export async function token() {
  if (!session) return null;
  if (claimsOf(session.id_token).exp * 1000 - Date.now() < 5000) await refresh();
  return session ? session.id_token : null;
}

export function signOut() {
  save(null);
  const params = new URLSearchParams({ client_id: CONFIG.clientId, logout_uri: redirectUri() });
  window.location.assign(`${AUTHORITY}/logout?${params}`);
}

schedule();
