/**
 * Shape of a DNS question name: length, label count and character entropy. Tunnels and DGA
 * names are long, many-labelled and high-entropy; ordinary names are not. Entropy is counted
 * over char codes mod 256 in a reused table (no allocation per name).
 */
const counts = new Int32Array(256);
const touched = new Uint8Array(256);

export function dnsLabelCount(name: string): number {
  if (name.length === 0) return 0;
  let labels = 1;
  // A trailing dot (root) does not start a new label.
  const end = name.charCodeAt(name.length - 1) === 46 ? name.length - 1 : name.length;
  for (let i = 0; i < end; i++) if (name.charCodeAt(i) === 46) labels++;
  return end === 0 ? 0 : labels;
}

/** Shannon entropy of the characters of s in bits per character; 0 for ''. */
export function charEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) & 255;
    if (counts[c] === 0) touched[distinct++] = c;
    counts[c]++;
  }
  let h = 0;
  for (let k = 0; k < distinct; k++) {
    const c = touched[k];
    const p = counts[c] / n;
    h -= p * Math.log2(p);
    counts[c] = 0;
  }
  return h;
}
