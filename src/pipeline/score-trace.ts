import type { ScorePoint } from '../outputs/score-plot';

/**
 * Score-over-time points for the plot in bounded memory: keeps the max of each bucket of
 * `per` packets, and doubles the bucket when the list grows past `limit` (a 10 M packet replay
 * keeps ≤ limit points, and a one-packet spike always survives).
 */
export class ScoreTrace {
  private points: ScorePoint[] = [];
  private per = 1;
  private inBucket = 0;
  private cur: ScorePoint | null = null;

  constructor(private readonly limit = 8000) {}

  add(ts: number, score: number): void {
    if (this.cur === null || score > this.cur.score) this.cur = { ts, score };
    if (++this.inBucket >= this.per) this.close();
  }

  result(): ScorePoint[] {
    this.close();
    return this.points;
  }

  private close(): void {
    if (this.cur) this.points.push(this.cur);
    this.cur = null;
    this.inBucket = 0;
    if (this.points.length > this.limit) {
      const merged: ScorePoint[] = [];
      for (let i = 0; i < this.points.length; i += 2) {
        const a = this.points[i];
        const b = this.points[i + 1];
        merged.push(b && b.score > a.score ? b : a);
      }
      this.points = merged;
      this.per *= 2;
    }
  }
}
