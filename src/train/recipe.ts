/**
 * The default training recipe: what `lln-detect train` does without options, what
 * `npm run quality` measures on ../shared/realdata, and what the daemon's learning will use.
 * One place, so the three cannot drift apart. Why each value: docs/training.md, "The recipe".
 */
export const TRAINING_DEFAULTS = {
  epochs: 50,
  batchSize: 32,
  validationSplit: 0.2,
  learningRate: 0.001,
  window: 32,
  stride: 16,
  trainStride: 4,
  /**
   * Epochs without a better held-out check before training stops. 3 (5 until measured on both
   * development networks): the check saturates within a few epochs, and waiting longer only let
   * seed 1 drift on to epochs 15–25, which flag more of a new day (docs/quality.md, "Kept:
   * patience 3").
   */
  patience: 3,
  /** Weights kept: the mean of this many best epochs (docs/training.md, "The recipe"). */
  averageEpochs: 1,
  targetFpr: 0.005,
  inputNoise: 0.1,
  syntheticCopies: 6,
  /** Share of the segments without an anomaly that get an ordinary session labelled 0 (docs/training.md, "Decoys": off). */
  decoyRate: 0,
  /** Share of the segments with an anomaly that also get an ordinary session labelled 0, opening while it runs (docs/training.md, "Decoys"). */
  concurrentDecoyRate: 0,
  /**
   * Lowest threshold a calibration without labels may choose (docs/training.md, "The recipe"):
   * one opening must be near-certain on its own; moderately odd attempts are the actor verdict's
   * (src/pipeline/actor-hold.ts). 0.99 until the actor verdict; measured 0.99–0.99999 on both
   * development networks (docs/quality.md, "Kept: floor 0.9999").
   */
  thresholdFloor: 0.9999,
  /**
   * The floor of the per-epoch check's threshold, which early stopping maximises the catch at
   * (docs/training.md, "The recipe"): 0.9, the alert floor before the flow verdict. At 0.995
   * training ran 24–29 epochs instead of ~14 and the kept model was worse on a new day.
   */
  earlyStopFloor: 0.9,
  /** What early stopping watches: 'check' (the catch at the check's threshold) or 'loss' (held-out loss). */
  earlyStopOn: 'check' as 'check' | 'loss',
  seed: 1,
} as const;
