// Where the Hourbank API is and how the pages sign in (web/src/config.ts reads these two globals).
// "" means this site's own origin (the local stack serves both). A deployment overwrites this one file:
// scripts/ops/publish_site.py writes it from the stack's outputs (the API's URL; the user pool as the OIDC
// authority, its client, the portal as the redirect and the managed login's /logout).
// Locally the authority is the local stack's OIDC stand-in (scripts/devstack/local_auth.py).
window.HOURBANK_API_URL = "";
window.HOURBANK_AUTH = { authority: "/local-auth", clientId: "local-web-client", local: true };
