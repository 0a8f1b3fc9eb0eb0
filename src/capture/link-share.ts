/**
 * One sensor's share of a link that several sensors watch together. A link beyond one machine's
 * reach is copied to N sensors (a tap or SPAN port fanned out to N capture ports, or N sensors on
 * one mirror); sensor K keeps share K of N with a BPF filter the kernel applies before a packet
 * is copied out, so it pays nothing for the other shares. Each sensor forwards into the one fleet
 * store (README, "A fleet of sensors"), where the incidents of the whole link come together.
 *
 * The split is by host pair, not by flow: both directions of every conversation, and every flow
 * between the same two hosts, land in the same sensor, so the flow, service and look-back
 * verdicts see whole conversations (AF_PACKET's flow fanout would split a host pair's flows).
 * What a split costs: a host's conversations with different peers land in different sensors, so a
 * scanner's or guesser's attempts are counted in N places, each with about 1/N of them.
 *
 * The hash: the low 32 bits of the two addresses (IPv4, IPv6, or an ARP packet's sender and
 * target), xor-ed (the same in both directions), times Knuth's multiplicative constant 2654435761
 * (32-bit wrap, as BPF computes), bits 16 and up, modulo N. `pairShare` computes the same in
 * JavaScript. Frames that are none of IPv4, IPv6 and ARP (LLDP, STP, …) all go to share 1.
 */

/** A sensor's share: `k` of `n` (1 ≤ k ≤ n). */
export interface LinkShare {
  k: number;
  n: number;
}

export const MAX_SHARES = 64;
const KNUTH = 2654435761;

/** "2/4" → { k: 2, n: 4 }; null for anything else (not K/N, k outside 1..n, n outside 2..MAX_SHARES). */
export function parseShare(text: string): LinkShare | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return null;
  const k = Number(m[1]), n = Number(m[2]);
  return n >= 2 && n <= MAX_SHARES && k >= 1 && k <= n ? { k, n } : null;
}

/** The BPF expression (pcap-filter(7)) keeping share k of n. */
export function shareExpression({ k, n }: LinkShare): string {
  const hash = (a: string, b: string) => `((((${a} ^ ${b}) * ${KNUTH}) >> 16) % ${n}) = ${k - 1}`;
  const parts = [
    `(ip and ${hash('ip[12:4]', 'ip[16:4]')})`,
    `(ip6 and ${hash('ip6[20:4]', 'ip6[36:4]')})`,
    `(arp and ${hash('arp[14:4]', 'arp[24:4]')})`,
  ];
  if (k === 1) parts.push('not (ip or ip6 or arp)');
  return parts.join(' or ');
}

/** The share (1..n) of the host pair whose addresses' low 32 bits are `a` and `b`: what shareExpression keeps. */
export function pairShare(a: number, b: number, n: number): number {
  const mixed = Math.imul((a ^ b) >>> 0, KNUTH) >>> 0;
  return ((mixed >>> 16) % n) + 1;
}
