// The desk's times: the value of an <input type="datetime-local"> in the reader's zone, and back to an ISO
// instant with its offset (API.md: times are ISO 8601 with an offset).
import { duration, reasonText } from "../../format";
import type { Segment } from "../../types";

const pad = (n: number) => String(n).padStart(2, "0");

/** A Date as a datetime-local value: "2026-12-06T10:15". */
export function localInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (the reader's zone) as an ISO instant; "" -> null. */
export function instant(value: FormDataEntryValue | null): string | null {
  const text = String(value || "").trim();
  if (!text) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** SPEC T1-T4 in words: "30 min × 1 + 30 min × 2 (emergency)". */
export function segmentsText(segments: Segment[]): string {
  return segments
    .map((s) => {
      const why = reasonText(s.reasons);
      return `${duration(s.minutes)} × ${s.multiplier}${why ? ` (${why})` : ""}`;
    })
    .join(" + ");
}
