/**
 * One CSV cell, RFC 4180 quoting (a field with a comma, double quote, CR or LF is wrapped in
 * double quotes, inner quotes doubled) plus formula-injection neutralisation: a *text* cell
 * starting with = + - @ TAB or CR gets a leading apostrophe, so a spreadsheet shows it as text
 * instead of evaluating it (OWASP "CSV injection"). Numbers the program formats itself are never
 * prefixed, so negative numbers stay numbers; any string is treated as untrusted, because text
 * fields (file names, feature explanations, later DNS names) can come from the traffic.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = Array.isArray(value) ? value.join(' ') : String(value);
  if (FORMULA_START.test(s)) s = "'" + s;
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
