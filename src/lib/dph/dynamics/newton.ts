/**
 * Where the linear model can go: the exact minimiser of its mean training loss over the spec's pairs, by damped
 * Newton, with no optimizer noise.
 */
import { addRewards } from '../train/tally';
import { showValue } from '../validate';
import { reject } from './check';
import { makeData } from './data';
import { type LinearFeatures, linearRewards } from './linear';
import { PairObjective } from './objective';
import { type DynamicsSpec, validateSpec } from './spec';

/** Minimiser of a linear model's training objective on the simulation's data (same seed → same data). */
export interface LinearOptimum {
	/** [bias, w_1 … w_dim]. */
	weights: Float64Array;
	meanRw: number;
	meanRl: number;
	meanMargin: number;
	sdMargin: number;
	meanSum: number;
	accuracy: number;
	/** The objective's value there (mean expected loss). */
	loss: number;
	/** False when Newton did not reach a zero gradient, e.g. ε = 0, where the weights grow without bound. */
	converged: boolean;
	iterations: number;
}

/**
 * A shared w cannot put every pair on the per-pair target, so this is what `simulate` with the same spec
 * converges to, and its mean margin generally differs from theoreticalTargets.
 */
export function linearOptimum(spec: DynamicsSpec): LinearOptimum {
	const s = validateSpec(spec);
	if (s.model !== 'linear')
		reject('model', `model = ${showValue(s.model)} is invalid: linearOptimum needs model "linear"`, s.model);
	const data = makeData(s);
	// Newton never samples a flip, so the noise stream is never drawn from.
	const objective = new PairObjective(s.loss, s.params, s.eta, s.noise === 'fixed', data.flipped, () => 0);
	return newtonOptimum(objective, data.features!, data.params);
}

/**
 * Damped Newton from the initial weights `start`. A margin loss never sees the bias (x_w − x_l has a 0 there), so
 * the bias keeps its initial value, as in training.
 */
function newtonOptimum(
	pair: PairObjective,
	features: LinearFeatures,
	start: Float64Array,
	maxIter = 200,
): LinearOptimum {
	const { width, xw, xl } = features;
	const n = xw.length / width;
	const rw = new Float64Array(n);
	const rl = new Float64Array(n);
	const w = Float64Array.from(start);
	const objective = (v: Float64Array) => {
		linearRewards(v, features, rw, rl);
		let sum = 0;
		for (let i = 0; i < n; i++) sum += pair.value(i, rw[i], rl[i]);
		return sum / n;
	};
	const G = new Float64Array(width);
	const H = new Float64Array(width * width);
	let value = objective(w);
	let converged = false;
	let iterations = 0;
	for (; iterations < maxIter; iterations++) {
		G.fill(0);
		H.fill(0);
		linearRewards(w, features, rw, rl);
		for (let i = 0; i < n; i++) {
			const o = i * width;
			const { g, h } = pair.curvature(i, rw[i], rl[i]);
			// In the basis s = x_w + x_l, d = x_w − x_l a margin loss has exactly zero weight on s (its gradient
			// and Hessian are ∓ symmetric), so the bias row (s = 2, d = 0) of G and H is exactly 0, not rounding noise.
			const gs = (g[0] + g[1]) / 2;
			const gd = (g[0] - g[1]) / 2;
			const hss = (h[0] + h[2] + 2 * h[1]) / 4;
			const hdd = (h[0] + h[2] - 2 * h[1]) / 4;
			const hsd = (h[0] - h[2]) / 4;
			for (let j = 0; j < width; j++) {
				const sj = xw[o + j] + xl[o + j];
				const dj = xw[o + j] - xl[o + j];
				G[j] += (gs * sj + gd * dj) / n;
				for (let k = 0; k < width; k++) {
					const sk = xw[o + k] + xl[o + k];
					const dk = xw[o + k] - xl[o + k];
					H[j * width + k] += (hss * sj * sk + hdd * dj * dk + hsd * (sj * dk + dj * sk)) / n;
				}
			}
		}
		let gmax = 0;
		for (let j = 0; j < width; j++) gmax = Math.max(gmax, Math.abs(G[j]));
		if (gmax < 1e-10) {
			converged = true;
			break;
		}
		// A tiny ridge makes the system solvable along directions the loss ignores (the bias, for margin losses);
		// their gradient is 0, so the step there is 0 and they keep their initial values.
		for (let j = 0; j < width; j++) H[j * width + j] += 1e-12;
		const dir = solve(H, G, width);
		let t = 1;
		const trial = new Float64Array(width);
		let next = value;
		for (let k = 0; k < 60; k++, t /= 2) {
			for (let j = 0; j < width; j++) trial[j] = w[j] - t * dir[j];
			next = objective(trial);
			if (next <= value) break;
		}
		if (!(next <= value)) {
			// No decrease left to find: a minimum up to rounding if the gradient is already tiny.
			converged = gmax < 1e-7;
			break;
		}
		w.set(trial);
		value = next;
	}
	linearRewards(w, features, rw, rl);
	const sums = addRewards({ correct: 0, rw: 0, rl: 0 }, rw, rl);
	let sm2 = 0;
	for (let i = 0; i < n; i++) sm2 += (rw[i] - rl[i]) ** 2;
	const meanMargin = (sums.rw - sums.rl) / n;
	return {
		weights: w,
		meanRw: sums.rw / n,
		meanRl: sums.rl / n,
		meanMargin,
		sdMargin: Math.sqrt(Math.max(0, sm2 / n - meanMargin ** 2)),
		meanSum: (sums.rw + sums.rl) / n,
		accuracy: sums.correct / n,
		loss: value,
		converged,
		iterations,
	};
}

/** Solves A x = b (A is size×size, row-major) by Gaussian elimination with partial pivoting; A and b are kept. */
function solve(A: Float64Array, b: Float64Array, size: number): Float64Array {
	const M = Float64Array.from(A);
	const x = Float64Array.from(b);
	for (let c = 0; c < size; c++) {
		let piv = c;
		for (let r = c + 1; r < size; r++) if (Math.abs(M[r * size + c]) > Math.abs(M[piv * size + c])) piv = r;
		if (piv !== c) {
			for (let k = 0; k < size; k++) {
				const tmp = M[c * size + k];
				M[c * size + k] = M[piv * size + k];
				M[piv * size + k] = tmp;
			}
			const tmp = x[c];
			x[c] = x[piv];
			x[piv] = tmp;
		}
		const d = M[c * size + c];
		for (let r = c + 1; r < size; r++) {
			const f = M[r * size + c] / d;
			if (f === 0) continue;
			for (let k = c; k < size; k++) M[r * size + k] -= f * M[c * size + k];
			x[r] -= f * x[c];
		}
	}
	for (let r = size - 1; r >= 0; r--) {
		let acc = x[r];
		for (let k = r + 1; k < size; k++) acc -= M[r * size + k] * x[k];
		x[r] = acc / M[r * size + r];
	}
	return x;
}
