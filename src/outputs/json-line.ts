/**
 * One JSON Lines record. JSON.stringify leaves U+0085 (NEL), U+2028 and U+2029 unescaped: valid
 * JSON, but readers that split on Unicode line breaks (Python's str.splitlines, many log
 * shippers) would see an attacker-chosen DNS name or label end the line. Escaped, the record is
 * the same JSON and one line for every reader.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
