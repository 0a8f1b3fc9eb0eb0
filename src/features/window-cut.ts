/**
 * Copy the window of W rows ending at row `end` of `rows` (F values a row) into out[offset..]:
 * rows in time order, zero rows in front when fewer than W rows precede it. Training cuts its
 * windows from a capture's feature matrix with this, and the scorers cut theirs from the rows
 * the scoring pipeline hands over: one layout for both, so no train/serve skew.
 */
export function cutWindowFromRows(rows: Float32Array, F: number, end: number, W: number, out: Float32Array, offset: number): void {
  const first = end - W + 1;
  if (first >= 0) {
    out.set(rows.subarray(first * F, (end + 1) * F), offset);
    return;
  }
  out.fill(0, offset, offset - first * F);
  out.set(rows.subarray(0, (end + 1) * F), offset - first * F);
}

/** The n windows ending at rows ends[0..n) of `rows`, back to back into `out` (n*W*F values). */
export function cutWindowsFromRows(rows: Float32Array, F: number, ends: Int32Array, n: number, W: number, out: Float32Array): void {
  for (let i = 0; i < n; i++) cutWindowFromRows(rows, F, ends[i], W, out, i * W * F);
}
