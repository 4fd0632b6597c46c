// Where the Hourbank API is. "" means this site's own origin (the local stack serves both).
// A deployment overwrites this one file, e.g.: window.HOURBANK_API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com";
window.HOURBANK_API_URL = "";
