import type { Actor } from './actor-queue';
import type { CaptureContext, FrameFn } from './capture-context';

export interface ScriptStep {
  t: number;
  fn: FrameFn;
}

/**
 * Plays a precomputed list of frames (one session or exchange). Steps are sorted by time once
 * (stable, so frames planned at the same instant keep their logical order).
 */
export class ScriptActor implements Actor {
  t: number;
  seq = 0;
  private i = 0;

  constructor(
    private readonly ctx: CaptureContext,
    private readonly steps: ScriptStep[],
    /** Scenario name for attack traffic (labelled 1), null for benign traffic. */
    private readonly scenario: string | null,
  ) {
    steps.sort((a, b) => a.t - b.t);
    this.t = steps.length > 0 ? steps[0].t : 0;
  }

  step(): boolean {
    if (this.i >= this.steps.length) return false;
    this.ctx.emit(this.steps[this.i].fn, this.scenario);
    this.i++;
    if (this.i >= this.steps.length) return false;
    this.t = this.steps[this.i].t;
    return true;
  }
}

/** Queue a script (no-op for an empty one). */
export function play(ctx: CaptureContext, steps: ScriptStep[], scenario: string | null): void {
  if (steps.length > 0) ctx.schedule(new ScriptActor(ctx, steps, scenario));
}
