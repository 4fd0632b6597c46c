// The one client of the Hourbank API (API.md) for every page: JSON in and out, the bearer of whoever is
// signed in, and API.md's error body ({"error": {"code", "message", "details": {"fields": [...]}}}) turned
// into an ApiError that says what went wrong in the API's words.
import { API_URL } from "./config";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  /** The API's per-field problems, e.g. ["hours: must be between 1 and 500"]. */
  readonly fields: string[];
  /** The API's details beside the message, e.g. a 402's {top_up_minutes, top_up_hours} (SPEC C4). */
  readonly details: Record<string, unknown>;

  constructor(status: number, body: unknown) {
    const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> & { fields?: string[] } } })
      ?.error;
    const message = error?.message || (body as { message?: string })?.message || `The request failed (HTTP ${status}).`;
    super(message);
    this.status = status;
    this.code = error?.code;
    this.fields = error?.details?.fields || message.split("; ");
    this.details = error?.details || {};
  }
}

/** Where a page's bearer comes from (the portal's sign-in) and what to do when the API refuses it. */
interface Bearer {
  token: () => Promise<string | null>;
  expired: () => void;
}

let bearer: Bearer | null = null;

export function setBearer(source: Bearer): void {
  bearer = source;
}

export type Query = Record<string, string | number | null | undefined>;

export interface CallOptions {
  body?: unknown;
  query?: Query;
  /** Another type than JSON (text/csv): the reply is returned as it came. */
  accept?: string;
  headers?: Record<string, string>;
  /** A bearer given by the page itself (the order form's token field) instead of the signed-in one. */
  token?: string | null;
}

function url(path: string, query: Query | undefined): URL {
  const out = new URL(API_URL + path, window.location.href);
  for (const [k, v] of Object.entries(query || {})) if (v != null && v !== "") out.searchParams.set(k, String(v));
  return out;
}

async function send(method: string, path: string, options: CallOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: options.accept || "application/json", ...(options.headers || {}) };
  const token = options.token !== undefined ? options.token : bearer ? await bearer.token() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const reply = await fetch(url(path, options.query), { method, headers, body });
  if (reply.status === 401 && options.token === undefined && bearer) bearer.expired();
  return reply;
}

/** A JSON call: the body on 2xx, else an ApiError. */
export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const reply = await send(method, path, options);
  const data: unknown = await reply.json().catch(() => null);
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data as T;
}

/** A non-JSON download (a statement as CSV): the reply on 2xx, else an ApiError. */
export async function download(path: string, accept: string): Promise<Response> {
  const reply = await send("GET", path, { accept });
  if (!reply.ok) throw new ApiError(reply.status, await reply.json().catch(() => null));
  return reply;
}

export const get = <T>(path: string, query?: Query) => call<T>("GET", path, { query });
export const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  call<T>("POST", path, { body, headers });
export const put = <T>(path: string, body: unknown) => call<T>("PUT", path, { body });

/** A path segment: ids go into paths encoded, always. */
export const seg = encodeURIComponent;
export const del = <T>(path: string) => call<T>("DELETE", path);
