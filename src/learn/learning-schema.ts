import { z } from 'zod';
import { bool, duration, int, num, size } from '../config-fields';

/**
 * The config's `learning:` section (docs/daemon.md, "Learning its own network"): what the learner
 * reads. The daemon's schema embeds it; the learner needs only this and the state directory.
 */

export const LearningSpoolSchema = z.strictObject({
  maxBytes: size().default('2GB'),
  maxAge: duration().default('28d'),
  fileSeconds: num(1, 86400).default(3600),
  maxFileBytes: size().default('64MB'),
}, { error: 'a mapping with maxBytes?, maxAge?, fileSeconds?, maxFileBytes?' });

export const LearningTrainingSchema = z.strictObject({
  epochs: int(1, 1000).optional(),
  trainStride: int(1, 4096).optional(),
  syntheticCopies: int(1, 32).optional(),
  targetFpr: num(0, 1).optional(),
  // Fresh weights, as `train` and `npm run quality`: fine-tuning the shipped model measured worse on both dev networks (docs/quality.md).
  initFromShipped: bool().default(false),
  seed: int(1, 2 ** 31 - 1).optional(),
  nice: int(0, 19).default(19),
  maxMemoryMB: int(256, 65536).default(1536),
}, { error: 'a mapping with epochs?, trainStride?, syntheticCopies?, targetFpr?, initFromShipped?, seed?, nice?, maxMemoryMB?' });

export const LearningCheckSchema = z.strictObject({
  holdOut: num(0.05, 0.5).default(0.2),
  maxFpr: num(0, 1).default(0.01),
  minSyntheticRecall: num(0, 1).default(0.2),
  minRecallOnIncidents: num(0, 1).default(0.5),
}, { error: 'a mapping with holdOut?, maxFpr?, minSyntheticRecall?, minRecallOnIncidents?' });

export const LearningRetrainSchema = z.strictObject({
  every: z.union([duration(), z.literal('never')], { error: "a duration such as '7d', or 'never'" }).default('7d'),
  recent: duration().default('14d'),
  excludeIncidents: bool().default(true),
  excludeProvisionalIncidents: bool().default(false),
  incidentMarginSeconds: num(0, 86400).default(60),
}, { error: 'a mapping with every?, recent?, excludeIncidents?, excludeProvisionalIncidents?, incidentMarginSeconds?' });

export const LearningSchema = z.strictObject({
  enabled: z.union([bool(), z.literal('auto')], { error: "true, false or 'auto'" }).default('auto'),
  // One daily cycle: the shipped model is the weakest detector on a network it never saw (docs/daemon.md, "Why these defaults").
  period: duration().default('1d'),
  minPackets: int(1, Number.MAX_SAFE_INTEGER).default(50_000),
  // A model in use that flags more than this share of the packets seen while learning does not fit
  // this network: the first own model comes once minPackets are spooled, not after `period` (1: never).
  earlyFirstModelAt: num(0, 1).default(0.01),
  provisionalAlerts: bool().default(true),
  spool: LearningSpoolSchema.default({ maxBytes: '2GB', maxAge: '28d', fileSeconds: 3600, maxFileBytes: '64MB' }),
  training: LearningTrainingSchema.default({ initFromShipped: false, nice: 19, maxMemoryMB: 1536 }),
  check: LearningCheckSchema.default({ holdOut: 0.2, maxFpr: 0.01, minSyntheticRecall: 0.2, minRecallOnIncidents: 0.5 }),
  retrain: LearningRetrainSchema.default({ every: '7d', recent: '14d', excludeIncidents: true, excludeProvisionalIncidents: false, incidentMarginSeconds: 60 }),
}, { error: 'a mapping with enabled?, period?, minPackets?, earlyFirstModelAt?, provisionalAlerts?, spool?, training?, check?, retrain?' });

export type LearningConfig = z.infer<typeof LearningSchema>;

/** The part of the daemon's config the learner reads. */
export interface LearnerConfig {
  stateDir: string;
  model: { dir?: string };
  learning: LearningConfig;
}
