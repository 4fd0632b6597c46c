// The deployment's settings, from /config.js (public/config.js locally; scripts/ops/publish_site.py writes the
// deployed one from the stack's outputs). Read once, typed, in one place.

export interface AuthConfig {
  /** The OIDC issuer whose /.well-known/openid-configuration names the endpoints (may be site-relative). */
  authority: string;
  clientId: string;
  /** Where the login page sends the browser back: the portal (default: this site's /portal/). */
  redirectUri?: string;
  /** The managed login's sign-out page (Cognito's discovery document names none). */
  logoutUrl?: string;
  /** True on the local stack: the sign-in page is the local stand-in. */
  local?: boolean;
}

declare global {
  interface Window {
    HOURBANK_API_URL?: string;
    HOURBANK_AUTH?: AuthConfig;
  }
}

export const API_URL = String(window.HOURBANK_API_URL || "").replace(/\/+$/, "");

export const AUTH: AuthConfig = window.HOURBANK_AUTH || { authority: "/local-auth", clientId: "local-web-client" };
