// CSV made in the browser from the numbers already on screen, offered as a Blob download
// (`<a download href="blob:…">`), so the figures a worker exports are exactly those shown.

/** One field, quoted when it holds a comma, quote or line break (RFC 4180). */
function field(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text with a byte-order mark, so spreadsheet programs read the Korean headers. */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  const lines = [header, ...rows].map((r) => r.map(field).join(","));
  return "\uFEFF" + lines.join("\r\n") + "\r\n";
}

/** A blob: URL for the text; the caller revokes it when the link goes away. */
export function csvUrl(text: string): string {
  return URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
}
