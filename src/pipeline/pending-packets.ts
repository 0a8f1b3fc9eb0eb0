import type { DecodedPacket } from '../capture/decode/decoded-packet';

/** A packet waiting for every window that contains it to be scored. */
export interface PendingPacket {
  packet: DecodedPacket;
  /** The packet's raw (unscaled) feature vector, for explanations. */
  vec: Float32Array;
  /** Max score over the scored windows containing it so far; -1 = none yet. */
  score: number;
  /** Frame the attention pointed to in the window that gave the max score. */
  attentionFrame: number;
}

/**
 * Per-packet scores are the max over scored windows containing the packet. Windows are scored
 * in emission order, so once a window starting at frame s is scored, every packet before s is
 * final. Packets are kept in a FIFO indexed by frame until then: memory is bounded by
 * (windows in flight) × stride + W.
 */
export class PendingPackets {
  private items: PendingPacket[] = [];
  private head = 0;
  private firstFrame = -1;

  push(packet: DecodedPacket, vec: Float32Array): void {
    if (this.firstFrame < 0 || this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
      this.firstFrame = packet.frame;
    }
    this.items.push({ packet, vec, score: -1, attentionFrame: -1 });
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Apply one scored window: frames [startFrame, endFrame], attention per window row (length W, padding rows first). */
  applyWindow(startFrame: number, endFrame: number, score: number, attention: Float32Array, attOffset: number, W: number): void {
    const len = endFrame - startFrame + 1;
    const pad = W - len;
    let peakRow = pad;
    for (let r = pad + 1; r < W; r++) if (attention[attOffset + r] > attention[attOffset + peakRow]) peakRow = r;
    const peakFrame = startFrame + (peakRow - pad);
    for (let f = startFrame; f <= endFrame; f++) {
      const it = this.items[f - this.firstFrame];
      if (it !== undefined && score > it.score) {
        it.score = score;
        it.attentionFrame = peakFrame;
      }
    }
  }

  /** Remove and return packets with frame < beforeFrame (all when beforeFrame is Infinity). */
  takeFinal(beforeFrame: number): PendingPacket[] {
    const out: PendingPacket[] = [];
    while (this.head < this.items.length && this.items[this.head].packet.frame < beforeFrame) {
      out.push(this.items[this.head++]);
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.firstFrame += this.head;
      this.head = 0;
    }
    return out;
  }
}
