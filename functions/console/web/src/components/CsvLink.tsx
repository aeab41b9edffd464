// "CSV 내려받기": a download link to a blob: URL of the table's numbers, made when the numbers
// change and released when the link goes away.

import { useEffect, useMemo } from "preact/hooks";
import { csvUrl, toCsv } from "../csv";
import { useI18n } from "../i18n";

interface Props {
  filename: string;
  header: string[];
  rows: (string | number)[][];
  /** What is downloaded, for the link's accessible name. */
  what: string;
}

export function CsvLink({ filename, header, rows, what }: Props) {
  const { m } = useI18n();
  const url = useMemo(() => csvUrl(toCsv(header, rows)), [JSON.stringify([header, rows])]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <a class="csv-link" href={url} download={filename} data-testid="csv-link">
      {m.common.downloadCsv}
      <span class="visually-hidden"> — {what}</span>
    </a>
  );
}
