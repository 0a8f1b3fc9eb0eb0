/**
 * Something that emits packets over simulated time. The generator pops the actor with the
 * smallest `t`, lets it emit (at most) one packet at `t`, and re-queues it: a k-way merge of all
 * sessions, so the capture is in time order without buffering whole streams.
 */
export interface Actor {
  /** Simulated time (seconds from capture start) of this actor's next step. */
  t: number;
  /** Tie-breaker so equal times pop in creation order (determinism). Set by the queue. */
  seq: number;
  /** Do the step at `t`; return false when the actor has finished. */
  step(): boolean;
}

/** Binary min-heap keyed on (t, seq). */
export class ActorQueue {
  private heap: Actor[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(a: Actor): void {
    a.seq = this.nextSeq++;
    const h = this.heap;
    h.push(a);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i], h[p])) break;
      const tmp = h[i];
      h[i] = h[p];
      h[p] = tmp;
      i = p;
    }
  }

  peek(): Actor | undefined {
    return this.heap[0];
  }

  pop(): Actor | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        const tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
      }
    }
    return top;
  }
}

function less(a: Actor, b: Actor): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
