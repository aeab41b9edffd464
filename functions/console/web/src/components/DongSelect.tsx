// The dong filter city-wide staff see on the board, crisis and statistics pages (a dong
// worker has one dong, so they are never shown it).

import { useI18n } from "../i18n";
import { dongName, useStaff } from "../staff";

interface Props {
  id: string;
  value: string;
  onChange: (dong: string) => void;
  /** The label of the empty choice ("all dongs", or "choose"). */
  emptyLabel: string;
  testId?: string;
}

export function DongSelect({ id, value, onChange, emptyLabel, testId }: Props) {
  const { m } = useI18n();
  const { centres } = useStaff();
  return (
    <div class="field field-inline">
      <label for={id}>{m.board.dong}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)} data-testid={testId}>
        <option value="">{emptyLabel}</option>
        {centres.map((c) => (
          <option key={c.dong} value={c.dong}>
            {dongName(centres, c.dong)}
          </option>
        ))}
      </select>
    </div>
  );
}
