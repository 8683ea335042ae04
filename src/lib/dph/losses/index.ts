/**
 * Registry of the preference losses, keyed by their CLI names, plus the shared helpers.
 *
 *   import { getLoss } from '$lib/dph/losses';
 *   const loss = getLoss('sepdph');
 *   const p = loss.validate({ eps: 0.1 });
 *   loss.value(1.2, -0.3, p); loss.grad(1.2, -0.3, p); loss.optimum(p);
 */
import { bco } from './bco';
import { bt } from './bt';
import { cdpo } from './cdpo';
import { condph } from './condph';
import { dpo } from './dpo';
import { ipo } from './ipo';
import { rdpo } from './rdpo';
import { sepdph } from './sepdph';
import { simpo } from './simpo';
import { slic } from './slic';
import { LossParamError, type LossParams, type PreferenceLoss } from './types';

export const LOSSES = { sepdph, condph, dpo, cdpo, ipo, slic, rdpo, simpo, bco, bt } as const;

export type LossName = keyof typeof LOSSES;

/** In display order: the paper's two losses first, then the related ones. */
export const LOSS_NAMES = Object.keys(LOSSES) as LossName[];

/** The DPH objectives: the reward-head losses a training run, a sweep and the Train page can choose. */
export const DPH_OBJECTIVES = ['sepdph', 'condph'] as const satisfies readonly LossName[];
export type DphObjective = (typeof DPH_OBJECTIVES)[number];

export function isLossName(name: string): name is LossName {
	return Object.hasOwn(LOSSES, name);
}

/**
 * The loss with this CLI name; throws a LossParamError listing the valid names otherwise. Typed loosely (any
 * params record) so it works in loops over LOSS_NAMES; use `LOSSES.sepdph` for the precisely typed object.
 */
export function getLoss(name: string): PreferenceLoss<LossParams> {
	if (!isLossName(name)) {
		throw new LossParamError(`unknown loss "${name}": valid losses are ${LOSS_NAMES.join(', ')}`, 'loss', name);
	}
	return LOSSES[name] as PreferenceLoss<LossParams>;
}

export type { ShiftParams } from './bco';
export type { EpsParams } from './common';
export type { MarginLossSpec, SeparableLossSpec } from './define';
export { defineMarginLoss, defineSeparableLoss, formatRange, inRange, validateParams } from './define';
export type { BetaParams } from './ipo';
export { expectedGradUnderNoise, expectedUnderNoise, withLabelNoise } from './noise';
export { type MinimiseOptions, type Minimum1D, type Minimum2D, minimise, minimise1D } from './optimize';
export type { GammaParams } from './simpo';
export type { DeltaParams } from './slic';
export * as stable from './stable';
export * from './types';
export { bco, bt, cdpo, condph, dpo, ipo, rdpo, sepdph, simpo, slic };
