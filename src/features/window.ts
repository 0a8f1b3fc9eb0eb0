/** W consecutive packets' scaled feature vectors, the model's input unit. */
export interface Window {
  /** Frame number of the first and last real (non-padding) packet in the window. */
  startFrame: number;
  endFrame: number;
  /** Real packets in the window (< W only for a padded window at the start of a short stream). */
  length: number;
  /** W*F scaled features, row-major, padding rows (at the front) are zero. */
  data: Float32Array;
}
