import { ContextTable } from './context-table';

/** How long a seen ARP request makes a matching reply "solicited". */
export const ARP_REQUEST_TTL_S = 30;

export interface ArpVerdict {
  gratuitous: boolean;
  unsolicitedReply: boolean;
}

/**
 * Remembers recent ARP requests (who asked for whom) in a bounded table, to flag replies that
 * answer no request (a classic ARP-spoofing sign) and gratuitous announcements. A request is
 * not consumed by its reply: duplicate replies (captured on two ports, retransmitting stacks)
 * are common in benign traffic. Replies to requests made before the capture started are
 * flagged too (documented).
 */
export class ArpTracker {
  /** Key "asker>asked-for" → time of the latest such request. */
  private readonly requests: ContextTable;
  private readonly verdict: ArpVerdict = { gratuitous: false, unsolicitedReply: false };

  constructor(cap: number) {
    this.requests = new ContextTable(cap, 1, (slab, b) => {
      slab[b] = -Infinity;
    });
  }

  get size(): number {
    return this.requests.size;
  }

  get evictions(): number {
    return this.requests.evictions;
  }

  /** Verdict for one ARP packet (the returned object is reused: read it before the next call). */
  observe(op: number, senderIp: string | null, targetIp: string | null, t: number): ArpVerdict {
    const v = this.verdict;
    v.gratuitous = senderIp !== null && senderIp === targetIp;
    v.unsolicitedReply = false;
    if (senderIp === null || targetIp === null || v.gratuitous) return v;
    if (op === 1) {
      const key = senderIp + '>' + targetIp;
      const found = this.requests.find(key);
      const b = found >= 0 ? found : this.requests.insert(key);
      this.requests.slab[b] = t; // after insert(): it may have grown the slab
    } else if (op === 2) {
      // The reply's target asked for the reply's sender.
      const key = targetIp + '>' + senderIp;
      const b = this.requests.find(key);
      const dt = b < 0 ? Infinity : t - this.requests.slab[b];
      v.unsolicitedReply = !(dt <= ARP_REQUEST_TTL_S);
    }
    return v;
  }
}
