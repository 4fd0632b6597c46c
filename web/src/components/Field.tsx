// A labelled control (STYLE 18): the label names the control, the help and the error sit beside it.
import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";

interface Props {
  label: string;
  /** Renders the control with the id its label points at and the ids describing it. */
  children: (props: { id: string; "aria-describedby"?: string }) => ComponentChildren;
  id?: string;
  help?: ComponentChildren;
  error?: string;
}

export function Field({ label, children, id, help, error }: Props) {
  const auto = useId();
  const control = id || `f${auto.replace(/[^a-zA-Z0-9_-]/g, "")}`;
  const described = [help ? `${control}-help` : null, error !== undefined ? `${control}-error` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div class="field">
      <label for={control}>{label}</label>
      {children({ id: control, "aria-describedby": described || undefined })}
      {help ? (
        <p class="help" id={`${control}-help`}>
          {help}
        </p>
      ) : null}
      {error !== undefined ? (
        <p class="field-error" id={`${control}-error`} aria-live="polite">
          {error}
        </p>
      ) : null}
    </div>
  );
}
