import { ipv4Number } from '../capture/decode/addr-format';
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
  /** Key (asker, asked-for) → time of the latest such request. */
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
    if (op !== 1 && op !== 2) return v;
    // The reply's target asked for the reply's sender: both look up "asker>asked-for".
    const asker = op === 1 ? senderIp : targetIp;
    const askedFor = op === 1 ? targetIp : senderIp;
    // IPv4 pairs are keyed by number (no string built); anything else by "asker>asked-for".
    const a = ipv4Number(asker);
    const b = ipv4Number(askedFor);
    const numeric = a >= 0 && b >= 0;
    const key = numeric ? '' : asker + '>' + askedFor;
    const found = numeric ? this.requests.findNum(a | 0, b | 0, 0, 0) : this.requests.find(key);
    if (op === 1) {
      const base = found >= 0 ? found : numeric ? this.requests.insertNum(a | 0, b | 0, 0, 0) : this.requests.insert(key);
      this.requests.slab[base] = t; // after insert(): it may have grown the slab
    } else {
      const dt = found < 0 ? Infinity : t - this.requests.slab[found];
      v.unsolicitedReply = !(dt <= ARP_REQUEST_TTL_S);
    }
    return v;
  }
}
