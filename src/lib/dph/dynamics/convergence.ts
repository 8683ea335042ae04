/** How fast a simulation settles: steps until a mean stays near its target, alone or over an ε × lr grid. */
import { int, num, oneOf } from './check';
import { Simulation, type SimulationResult } from './simulation';
import { type DynamicsSpec, MAX_STEPS, validateSpec } from './spec';
import type { Targets } from './targets';

export type ConvergenceQuantity = 'margin' | 'rw' | 'rl';

export interface ConvergenceOptions {
	/** What must settle: the mean margin (default), mean r_w or mean r_l. */
	quantity?: ConvergenceQuantity;
	/** Absolute tolerance (default 0.05). The band is max(tol, relTol·|target|). */
	tol?: number;
	/** Relative tolerance (default 0). */
	relTol?: number;
	/** Target to converge to; default the theoretical one for the quantity (see theoreticalTargets). */
	target?: number;
	/**
	 * Settled means inside the band for `hold` consecutive steps (whole, ≥ 1); stepsToConverge then stops the run
	 * there, which makes sweeps cheap. Default: inside from that step until the end of the run.
	 */
	hold?: number;
}

/**
 * First step from which `series` stays within `band` of `target`: for `hold` consecutive steps when given, else up
 * to index `upTo` (inclusive; default the end). Null if that never happens. "Stays" matters: momentum methods
 * cross the target long before they settle.
 */
export function convergenceStep(
	series: ArrayLike<number>,
	target: number,
	band: number,
	upTo = series.length - 1,
	hold?: number,
): number | null {
	if (!Number.isFinite(target)) return null;
	if (hold !== undefined) {
		let since: number | null = null;
		for (let t = 0; t <= upTo; t++) {
			if (Math.abs(series[t] - target) <= band) since ??= t;
			else since = null;
			if (since !== null && t - since + 1 >= hold) return since;
		}
		return null;
	}
	let first: number | null = null;
	for (let t = upTo; t >= 0; t--) {
		if (Math.abs(series[t] - target) <= band) first = t;
		else break;
	}
	return first;
}

export interface Convergence {
	/** Steps until the quantity settled within the band, or null if it had not within spec.steps. */
	steps: number | null;
	target: number;
	band: number;
	/** The quantity's mean after the last step simulated. */
	final: number;
}

function targetFor(targets: Targets, quantity: ConvergenceQuantity): number {
	const t = quantity === 'margin' ? targets.margin : quantity === 'rw' ? targets.rw : targets.rl;
	return t ?? Number.NaN;
}

function seriesFor(res: SimulationResult, quantity: ConvergenceQuantity): Float64Array {
	return quantity === 'margin' ? res.meanMargin : quantity === 'rw' ? res.meanRw : res.meanRl;
}

function resolveConvergence(targets: Targets, opts: ConvergenceOptions) {
	const quantity = oneOf('quantity', opts.quantity ?? 'margin', ['margin', 'rw', 'rl'] as const);
	const tol = num('tol', opts.tol ?? 0.05, (x) => x >= 0, 'tol ≥ 0 (finite)');
	const relTol = num('relTol', opts.relTol ?? 0, (x) => x >= 0, 'relTol ≥ 0 (finite)');
	const hold = opts.hold === undefined ? undefined : int('hold', opts.hold, 1, MAX_STEPS);
	const target = opts.target ?? targetFor(targets, quantity);
	const band = Number.isFinite(target) ? Math.max(tol, relTol * Math.abs(target)) : Number.NaN;
	return { quantity, hold, target, band };
}

/** How fast a simulation settled (see convergenceStep); spec.steps is the budget. */
export function convergence(res: SimulationResult, opts: ConvergenceOptions = {}): Convergence {
	const { quantity, hold, target, band } = resolveConvergence(res.targets, opts);
	const series = seriesFor(res, quantity);
	return { steps: convergenceStep(series, target, band, res.step, hold), target, band, final: series[res.step] };
}

/**
 * Simulates `spec` (spec.steps is the budget) and reports how many steps its mean margin (or r_w / r_l) needed to
 * settle. With `hold` the run stops as soon as it has settled.
 */
export function stepsToConverge(spec: DynamicsSpec, opts: ConvergenceOptions = {}): Convergence {
	const sim = new Simulation(validateSpec({ track: 0, recordLoss: false, ...spec }));
	const { quantity, hold, target, band } = resolveConvergence(sim.res.targets, opts);
	const series = seriesFor(sim.res, quantity);
	if (hold === undefined) {
		sim.advance(sim.spec.steps);
		return { steps: convergenceStep(series, target, band, sim.res.step), target, band, final: series[sim.res.step] };
	}
	let since: number | null = null;
	for (let t = 0; ; t++) {
		if (Math.abs(series[t] - target) <= band) since ??= t;
		else since = null;
		if (since !== null && t - since + 1 >= hold) return { steps: since, target, band, final: series[t] };
		if (t === sim.spec.steps || !Number.isFinite(band)) return { steps: null, target, band, final: series[t] };
		sim.advance(1);
	}
}

export interface ConvergenceCell extends Convergence {
	eps: number;
	lr: number;
}

/**
 * Steps-to-converge over a grid of ε × learning rate, one learning rate per yield (so a notebook can draw the
 * heatmap as it fills in without blocking a frame). Yields all cells computed so far. `base.params` supplies the
 * other loss parameters; ε goes in as `eps`.
 */
export function* convergenceGrid(
	base: DynamicsSpec,
	grid: { eps: readonly number[]; lr: readonly number[] },
	opts: ConvergenceOptions = {},
): Generator<ConvergenceCell[], void, unknown> {
	validateSpec(base);
	const cells: ConvergenceCell[] = [];
	for (const lr of grid.lr) {
		for (const eps of grid.eps) {
			const c = stepsToConverge({ ...base, lr, params: { ...base.params, eps } }, opts);
			cells.push({ eps, lr, ...c });
		}
		yield cells.slice();
	}
}
