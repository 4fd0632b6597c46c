// SPEC W3, T1-T4: log time on a ticket - work type, start, duration, note. The common case is two clicks:
// remote, 30 min, started that long before now (the start can be given for earlier work). Each posted entry's
// rating (segments, multipliers and why) shows at once, from the POST's answer. Or the ticket's timer.
import { useEffect, useState } from "preact/hooks";
import { del, post, seg } from "../../api";
import { Field } from "../../components/Field";
import { duration, when, WORK_TYPES } from "../../format";
import type { RatedEntry, RunningTimer, Ticket } from "../../types";
import { useReload } from "../portal/data";
import { useMe } from "../portal/me";
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

// SPEC W3: the timer is the ticket's, kept by the service (POST/DELETE /tickets/{id}/timer; GET shows `timer`):
// a reload, another device and another technician see it; stopped, it becomes an entry of the minutes it ran.
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
  const me = useMe();
  const [timer, setTimer] = useState<RunningTimer | null>(ticket.timer || null);
  useEffect(() => setTimer(ticket.timer || null), [ticket.timer?.started_at]);
  const now = useNow(timer !== null);
  const base = `/tickets/${seg(ticket.ticket_id)}/timer`;
  if (!timer) {
    return (
      <DeskForm
        id="timer-form"
        class="desk-form"
        label="Start timer"
        accountId={ticket.account_id}
        action={async () => {
          setTimer(await post<RunningTimer>(base, { action: "start" }));
          reload(300);
          return "The timer runs.";
        }}
      />
    );
  }
  const elapsed = Math.max(1, Math.floor((now - new Date(timer.started_at).getTime()) / 60_000));
  const whose = timer.by && timer.by !== me.sub ? ` (${timer.by_name || "another technician"}'s)` : "";
  return (
    <DeskForm
      id="timer-form"
      class="desk-form"
      label="Stop timer and log"
      accountId={ticket.account_id}
      action={async (data) => {
        const entry = await post<RatedEntry>(base, {
          action: "stop",
          work_type: data.get("work_type"),
          note: String(data.get("note") || "").trim(),
        });
        setTimer(null);
        reload(300);
        return rating(entry, `Timer stopped, logged ${duration(entry.minutes)} ${String(data.get("work_type"))}`);
      }}
      extra={
        <button
          type="button"
          class="secondary"
          onClick={() => {
            // discarded, or already stopped elsewhere: either way the ticket read again says where it stands
            void del(base)
              .catch(() => undefined)
              .then(() => {
                setTimer(null);
                reload(0);
              });
          }}
        >
          Discard timer
        </button>
      }
    >
      <p id="timer-running" class="timer">{`Timer${whose} running since ${when(timer.started_at)}: ${duration(elapsed)} so far.`}</p>
      <WorkType id="timer-work-type" />
      <Field id="timer-note" label="Note for the timer's entry">
        {(p) => <input {...p} name="note" type="text" required maxLength={2000} />}
      </Field>
    </DeskForm>
  );
}
