/** The reference's learning-rate schedule (src/training/trainer.py Trainer.get_schedule): warmup, then cosine. */

export interface LrScheduleOptions {
	/** Peak learning rate (the reference's lr_max). */
	lrMax: number;
	/** Linear warmup from 0 to lrMax over this many steps; 0 = no warmup. */
	warmupSteps: number;
	/** The step at which the cosine cooldown reaches lrMax·minRatio; must exceed warmupSteps. */
	totalSteps: number;
	/** Final fraction of lrMax (the reference's lr_cooldown_ratio, default 0.1). */
	minRatio: number;
}

/**
 * The reference's schedule (Trainer.get_schedule × lr_max), with the step counted from 1 (the reference increments
 * optimizer_step before reading the schedule):
 *   warmup   = min(step / warmupSteps, 1)
 *   progress = min(max(step − warmupSteps, 0) / (totalSteps − warmupSteps), 1)
 *   cooldown = (cos(π·progress)/2 + 1/2)·(1 − minRatio) + minRatio
 *   lr       = lrMax · min(warmup, cooldown)
 * The reference measures the cooldown in tokens (steps × batch × sequence length, cooldown end lr_cooldown_tokens);
 * with a fixed batch shape that is the same ratio in steps, so totalSteps = lr_cooldown_tokens / (batch × seq_len).
 */
export function lrSchedule(opts: LrScheduleOptions): (step: number) => number {
	const { lrMax, warmupSteps, totalSteps, minRatio } = opts;
	if (!(Number.isFinite(lrMax) && lrMax >= 0)) throw new RangeError(`lrSchedule: lrMax must be ≥ 0, got ${lrMax}`);
	if (!(Number.isFinite(warmupSteps) && warmupSteps >= 0))
		throw new RangeError(`lrSchedule: warmupSteps must be ≥ 0, got ${warmupSteps}`);
	// The reference divides by (cooldown − warmup) too; an empty or negative cooldown has no sensible reading.
	if (!(Number.isFinite(totalSteps) && totalSteps > warmupSteps))
		throw new RangeError(`lrSchedule: totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps})`);
	if (!(minRatio >= 0 && minRatio <= 1))
		throw new RangeError(`lrSchedule: minRatio must be in [0, 1], got ${minRatio}`);
	return (step: number) => {
		if (!(step >= 0)) throw new RangeError(`lrSchedule: step must be ≥ 0, got ${step}`);
		const warmup = warmupSteps > 0 ? Math.min(step / warmupSteps, 1) : 1;
		const progress = Math.min(Math.max(step - warmupSteps, 0) / (totalSteps - warmupSteps), 1);
		const cooldown = (Math.cos(progress * Math.PI) * 0.5 + 0.5) * (1 - minRatio) + minRatio;
		return lrMax * Math.min(warmup, cooldown);
	};
}
