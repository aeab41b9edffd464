// A labelled form control with its hint and its error next to it, wired for screen readers
// (aria-describedby, aria-invalid). Used for client checks and the server's field errors alike.

import type { ComponentChildren } from "preact";

export interface ControlProps {
  id: string;
  "aria-invalid"?: "true";
  "aria-describedby"?: string;
}

interface Props {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  required?: boolean;
  /** Extra class on the wrapper (e.g. for a narrow field). */
  class?: string;
  children: (control: ControlProps) => ComponentChildren;
}

export function Field({ id, label, error, hint, required, class: cls, children }: Props) {
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={`field${error ? " field-invalid" : ""}${cls ? ` ${cls}` : ""}`}>
      <label for={id}>
        {label}
        {required ? (
          <span class="req" aria-hidden="true">
            {" "}*
          </span>
        ) : null}
      </label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {children({
        id,
        "aria-invalid": error ? "true" : undefined,
        "aria-describedby": described || undefined,
      })}
      {error ? (
        <p class="field-error" id={`${id}-error`} data-testid={`field-error-${id}`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
