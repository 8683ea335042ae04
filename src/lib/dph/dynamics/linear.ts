/**
 * The linear reward model r = w·x on synthetic features x = [1, a]: a constant bias feature, then `dim` Gaussian
 * features, with a hidden direction w* deciding which answer of a pair is the better one.
 */
import { normal } from '../random';

/** The pairs' features, row-major [pair][width], width = 1 + dim, bias feature first. */
export interface LinearFeatures {
	width: number;
	xw: Float64Array;
	xl: Float64Array;
}

/**
 * Pair i's rewards under weights w, r_w = w·x_w and r_l = w·x_l, into out[0] and out[1]: the one dot product of
 * the linear model (both in one pass over w).
 */
export function pairRewards(w: ArrayLike<number>, f: LinearFeatures, i: number, out: Float64Array): void {
	const { width, xw, xl } = f;
	const o = i * width;
	let sw = 0;
	let sl = 0;
	for (let j = 0; j < width; j++) {
		sw += w[j] * xw[o + j];
		sl += w[j] * xl[o + j];
	}
	out[0] = sw;
	out[1] = sl;
}

/** Rewards of every pair under weights w, into rw and rl. */
export function linearRewards(w: ArrayLike<number>, f: LinearFeatures, rw: Float64Array, rl: Float64Array): void {
	const r = new Float64Array(2);
	for (let i = 0; i < rw.length; i++) {
		pairRewards(w, f, i, r);
		rw[i] = r[0];
		rl[i] = r[1];
	}
}

/**
 * `n` pairs of `dim` Gaussian features pulled apart by `separation` along a random unit direction w*; the answer
 * that scores higher along w* is the preferred one, so w*·(a_w − a_l) > 0 for every pair.
 */
export function makeFeatures(
	rand: () => number,
	n: number,
	dim: number,
	separation: number,
): { features: LinearFeatures; trueDirection: Float64Array } {
	const width = dim + 1;
	const trueDirection = new Float64Array(dim);
	let norm = 0;
	for (let j = 0; j < dim; j++) {
		trueDirection[j] = normal(rand);
		norm += trueDirection[j] ** 2;
	}
	norm = Math.sqrt(norm);
	for (let j = 0; j < dim; j++) trueDirection[j] /= norm;
	const xw = new Float64Array(n * width);
	const xl = new Float64Array(n * width);
	const a = new Float64Array(dim);
	const b = new Float64Array(dim);
	for (let i = 0; i < n; i++) {
		let proj = 0;
		for (let j = 0; j < dim; j++) {
			a[j] = normal(rand) + (separation / 2) * trueDirection[j];
			b[j] = normal(rand) - (separation / 2) * trueDirection[j];
			proj += trueDirection[j] * (a[j] - b[j]);
		}
		// The hidden preference is the truth: the answer scoring higher along w* is the preferred one.
		const [cw, cl] = proj >= 0 ? [a, b] : [b, a];
		xw[i * width] = 1;
		xl[i * width] = 1;
		for (let j = 0; j < dim; j++) {
			xw[i * width + 1 + j] = cw[j];
			xl[i * width + 1 + j] = cl[j];
		}
	}
	return { features: { width, xw, xl }, trueDirection };
}
