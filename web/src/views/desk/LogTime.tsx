// SPEC W3, T1-T4: log time on a ticket - work type, start, duration, note. The common case is two clicks:
// remote, 30 min, started that long before now (the start can be given for earlier work). Each posted entry's
// rating (segments, multipliers and why) shows at once, from the POST's answer. Or a timer: started on the
// ticket, kept by the service (so a reload or another device sees it) and an entry when stopped.
import { useEffect, useState } from "preact/hooks";
import { post, seg } from "../../api";
import { Field } from "../../components/Field";
import { duration, WORK_TYPES } from "../../format";
import type { RatedEntry, Ticket } from "../../types";
import { useReload } from "../portal/data";
import { DeskForm } from "./DeskForm";
import { instant, localInput, segmentsText } from "./times";

export function rating(e: RatedEntry, what: string): preact.JSX.Element {
  return (
    <span class="rating">
      {`${what}: ${segmentsText(e.segments)} = ${duration(e.weighted_minutes)} weighted.`}
    </span>
  );
}

function WorkType({ id }: { id: string }) {
  return (
    <Field id={id} label="Work type">
      {(p) => (
        <select {...p} name="work_type">
          {WORK_TYPES.map((t) => (
            <option value={t}>{t}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function LogTimeForm({ ticket }: { ticket: Ticket }) {
  const reload = useReload();
  const [minutes, setMinutes] = useState(30);
  return (
    <DeskForm
      id="log-time-form"
      class="desk-form"
      label="Log time"
      accountId={ticket.account_id}
      onReset={() => setMinutes(30)}
      action={async (data) => {
        const took = Number(data.get("minutes"));
        const started = instant(data.get("started_at")) || new Date(Date.now() - took * 60_000).toISOString();
        const entry = await post<RatedEntry>(`/tickets/${seg(ticket.ticket_id)}/time-entries`, {
          work_type: data.get("work_type"),
          started_at: started,
          minutes: took,
          note: String(data.get("note") || "").trim(),
        });
        reload(400);
        return rating(entry, `Logged ${duration(took)} ${String(data.get("work_type"))}`);
      }}
    >
      <div class="row">
        <WorkType id="log-work-type" />
        <Field id="log-minutes" label="Duration (minutes)" help={duration(minutes)}>
          {(p) => (
            <input
              {...p}
              name="minutes"
              type="number"
              min="1"
              max="1440"
              step="1"
              required
              defaultValue="30"
              onInput={(e) => setMinutes(Number((e.currentTarget as HTMLInputElement).value) || 0)}
            />
          )}
        </Field>
      </div>
      <Field id="log-note" label="Note (what was done)">
        {(p) => <input {...p} name="note" type="text" required maxLength={2000} />}
      </Field>
      {/* after the note: the keyboard reaches the common case (type, duration, note, Enter) first */}
      <div class="row">
        <Field id="log-started" label="Started" help="Empty: the duration before now.">
          {(p) => <input {...p} name="started_at" type="datetime-local" max={localInput(new Date())} />}
        </Field>
      </div>
    </DeskForm>
  );
}

// The timer: the service's where the ticket carries one (`timer`), else this browser's (localStorage) - a
// reload keeps it either way.
const KEY = (ticketId: string) => `hourbank.timer.${ticketId}`;

function localTimer(ticketId: string): { started_at: string; work_type: string } | null {
  try {
    return JSON.parse(window.localStorage.getItem(KEY(ticketId)) || "null");
  } catch {
    return null;
  }
}

function useNow(running: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!running) return undefined;
    const tick = window.setInterval(() => setNow(Date.now()), 15_000);
    return () => window.clearInterval(tick);
  }, [running]);
  return now;
}

export function TimerForm({ ticket }: { ticket: Ticket }) {
  const reload = useReload();
  const [timer, setTimer] = useState(() => localTimer(ticket.ticket_id));
  const now = useNow(timer !== null);
  const elapsed = timer ? Math.max(1, Math.ceil((now - new Date(timer.started_at).getTime()) / 60_000)) : 0;
  if (!timer) {
    return (
      <DeskForm
        id="timer-form"
        class="desk-form"
        label="Start timer"
        accountId={ticket.account_id}
        action={async (data) => {
          const started = { started_at: new Date().toISOString(), work_type: String(data.get("work_type")) };
          window.localStorage.setItem(KEY(ticket.ticket_id), JSON.stringify(started));
          setTimer(started);
          return "The timer runs.";
        }}
      >
        <WorkType id="timer-work-type" />
      </DeskForm>
    );
  }
  return (
    <DeskForm
      id="timer-form"
      class="desk-form"
      label="Stop timer and log"
      accountId={ticket.account_id}
      action={async (data) => {
        const minutes = Math.max(1, Math.ceil((Date.now() - new Date(timer.started_at).getTime()) / 60_000));
        const entry = await post<RatedEntry>(`/tickets/${seg(ticket.ticket_id)}/time-entries`, {
          work_type: timer.work_type,
          started_at: timer.started_at,
          minutes,
          note: String(data.get("note") || "").trim(),
        });
        window.localStorage.removeItem(KEY(ticket.ticket_id));
        setTimer(null);
        reload(400);
        return rating(entry, `Timer stopped, logged ${duration(minutes)} ${timer.work_type}`);
      }}
      extra={
        <button
          type="button"
          class="secondary"
          onClick={() => {
            window.localStorage.removeItem(KEY(ticket.ticket_id));
            setTimer(null);
          }}
        >
          Discard timer
        </button>
      }
    >
      <p id="timer-running" class="timer">{`${timer.work_type} timer running: ${duration(elapsed)} so far.`}</p>
      <Field id="timer-note" label="Note for the timer's entry">
        {(p) => <input {...p} name="note" type="text" required maxLength={2000} />}
      </Field>
    </DeskForm>
  );
}
