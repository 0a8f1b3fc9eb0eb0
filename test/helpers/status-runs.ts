/**
 * The status page's runs table as rows of header → cell text (tags stripped), so a test names the
 * column it reads ('shed', 'sensor') instead of counting cells, and a new column moves nothing.
 */
export function statusRuns(page: string): Array<Record<string, string>> {
  const table = /<table id="runs">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
  const text = (s: string) => s.replace(/<[^>]+>/g, '').trim();
  const heads = [...(/<thead>([\s\S]*?)<\/thead>/.exec(table)?.[1] ?? '').matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((m) => text(m[1]));
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return body.split('<tr').slice(1).map((row) => {
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => text(m[1]));
    return Object.fromEntries(heads.map((h, i) => [h, cells[i] ?? '']));
  });
}
