// Where the Hourbank API is. "" means this site's own origin (the local stack serves both).
// A deployment overwrites this one file, e.g.: window.HOURBANK_API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com";
window.HOURBANK_API_URL = "";
// How the portal signs in (web/portal/auth.js): OAuth 2.0 authorization code with PKCE against
// `authority` (/oauth2/authorize, /oauth2/token, /logout). Locally: the local stack's stand-in for the user
// pool's managed login (scripts/devstack/local_auth.py). In AWS scripts/ops/publish_site.py writes the user
// pool's domain and client id here from the stack's outputs.
window.HOURBANK_AUTH = { authority: "/local-auth", clientId: "local-web-client", local: true };
