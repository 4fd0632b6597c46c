// The Hourbank API from the portal: the bearer from auth.js, API.md's error body turned into an Error.
import { signIn, token } from "./auth.js";

const API = String(window.HOURBANK_API_URL || "").replace(/\/+$/, "");

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || (body && body.message) || `The request failed (HTTP ${status}).`);
    this.status = status;
    this.code = e.code;
  }
}

export async function call(method, path, { body, query, accept, headers } = {}) {
  const url = new URL(API + path, window.location.href);
  for (const [k, v] of Object.entries(query || {})) if (v != null && v !== "") url.searchParams.set(k, v);
  const h = { Accept: accept || "application/json", ...(headers || {}) };
  const bearer = await token();
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const reply = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (reply.status === 401) { signIn(); throw new ApiError(401, { error: { message: "Your sign-in expired." } }); }
  if (accept && accept !== "application/json") {
    if (!reply.ok) throw new ApiError(reply.status, await reply.json().catch(() => null));
    return reply;
  }
  const data = await reply.json().catch(() => null);
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

export const get = (path, query) => call("GET", path, { query });
export const post = (path, body, headers) => call("POST", path, { body, headers });
export const put = (path, body) => call("PUT", path, { body });
