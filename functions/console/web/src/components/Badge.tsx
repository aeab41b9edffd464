// Coloured labels for an incident's state and severity (text, not colour alone, carries the
// meaning; the colours only help the eye find the urgent rows).

import { label } from "../messages";
import { useI18n } from "../i18n";

export function StateBadge({ state }: { state: string }) {
  const { m } = useI18n();
  return (
    <span class={`badge state-${state}`} data-testid="incident-state" data-state={state}>
      {label(m.labels.state, state)}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  const { m } = useI18n();
  return <span class={`badge sev-${severity}`}>{label(m.labels.severity, severity)}</span>;
}
