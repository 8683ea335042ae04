/** A simulation's starting point from its seed: the fixed label flips, the features and the initial parameters. */
import { deriveSeed, mulberry32, normal } from '../random';
import { type LinearFeatures, makeFeatures } from './linear';
import type { ResolvedSpec } from './spec';

export interface SimulationData {
	/** Free rewards: [r_w of every pair, then r_l of every pair]; linear: the weights [bias, w_1 … w_dim]. */
	params: Float64Array;
	/** 1 for pairs whose label is flipped for the whole run (noise `fixed`). */
	flipped: Uint8Array;
	flippedCount: number;
	features: LinearFeatures | null;
	/** Linear model: the hidden direction w* (unit length, no bias). */
	trueDirection: Float64Array | null;
}

/** Flips, data and initialisation each draw from their own stream derived from the seed. */
export function makeData(s: ResolvedSpec): SimulationData {
	const n = s.pairs;
	const initRand = mulberry32(deriveSeed(s.seed, 'init'));
	const fixedRand = mulberry32(deriveSeed(s.seed, 'fixed-flips'));
	const flipped = new Uint8Array(n);
	let flippedCount = 0;
	if (s.noise === 'fixed' && s.eta > 0) {
		for (let i = 0; i < n; i++) {
			if (fixedRand() < s.eta) {
				flipped[i] = 1;
				flippedCount++;
			}
		}
	}
	const { offset, spread } = s.init;
	if (s.model === 'free') {
		const params = new Float64Array(2 * n);
		for (let i = 0; i < n; i++) {
			params[i] = offset + spread * normal(initRand);
			params[n + i] = offset + spread * normal(initRand);
		}
		return { params, flipped, flippedCount, features: null, trueDirection: null };
	}
	const { dim, separation } = s.features;
	const dataRand = mulberry32(deriveSeed(s.seed, 'data'));
	const { features, trueDirection } = makeFeatures(dataRand, n, dim, separation);
	// Features have unit variance, so spread/√dim per weight gives rewards ≈ offset ± spread at the start.
	const params = new Float64Array(features.width);
	params[0] = offset;
	for (let j = 1; j < features.width; j++) params[j] = (spread / Math.sqrt(dim)) * normal(initRand);
	return { params, flipped, flippedCount, features, trueDirection };
}
