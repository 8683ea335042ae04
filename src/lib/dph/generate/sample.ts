/**
 * Choosing the next token from a row of logits: greedy, temperature, top-k and top-p (nucleus) sampling, in the
 * order Hugging Face's logits warpers apply them (temperature, then top-k, then top-p), from a seeded stream so a
 * generation is reproducible from its seed.
 *
 * Everything here is float64 on one vocabulary row: the decoder hands over one row per sample and step, so the
 * sort top-p needs costs V log V on the CPU, which is small next to the forward pass that made the row.
 */
import { ConfigError, checkers } from '../validate';

export interface SamplingOptions {
	/** 0 is greedy (argmax); otherwise logits are divided by it before the softmax. */
	temperature: number;
	/** Keep only the k most likely tokens (and any tied with the k-th); 0 or absent keeps all. */
	topK?: number;
	/** Keep the smallest set of most likely tokens whose probability reaches p; 1 or absent keeps all. */
	topP?: number;
}

export class SamplingError extends ConfigError {
	override name = 'SamplingError';
}

const check = checkers(SamplingError);

/** The options as given, checked: a message names the field and what it may be. */
export function checkSampling(o: SamplingOptions, path = 'sampling'): SamplingOptions {
	check.num(`${path}.temperature`, o.temperature, (t) => t >= 0, '0 ≤ temperature (0 is greedy)');
	if (o.topK !== undefined) check.int(`${path}.topK`, o.topK, 0);
	if (o.topP !== undefined) check.num(`${path}.topP`, o.topP, (p) => p > 0 && p <= 1, '0 < topP ≤ 1');
	return o;
}

/** The first index of the largest logit (ties go to the lower id, as torch.argmax does). */
export function argmax(logits: ArrayLike<number>): number {
	let best = 0;
	for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
	return best;
}

/**
 * The distribution the next token is drawn from: softmax(logits / T) restricted to the top-k and then the top-p
 * set, renormalised. Greedy (T = 0) is the one-hot of the argmax.
 */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): Float64Array {
	const V = logits.length;
	const p = new Float64Array(V);
	if (o.temperature === 0) {
		p[argmax(logits)] = 1;
		return p;
	}
	let max = -Infinity;
	for (let i = 0; i < V; i++) max = Math.max(max, logits[i] / o.temperature);
	let z = 0;
	for (let i = 0; i < V; i++) {
		p[i] = Math.exp(logits[i] / o.temperature - max);
		z += p[i];
	}
	for (let i = 0; i < V; i++) p[i] /= z;
	const topK = o.topK ?? 0;
	const topP = o.topP ?? 1;
	if ((topK <= 0 || topK >= V) && topP >= 1) return p;
	// Most likely first; equal probabilities keep id order so the cut is deterministic.
	const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
	let keep = V;
	if (topK > 0 && topK < V) {
		// Hugging Face keeps every token tied with the k-th (it removes scores < the k-th score).
		const kth = p[order[topK - 1]];
		keep = topK;
		while (keep < V && p[order[keep]] === kth) keep++;
	}
	if (topP < 1) {
		// The smallest prefix whose mass reaches p (the token that crosses p is kept), at least one token. Mass is
		// of the top-k set renormalised, as Hugging Face's top-p warper sees it after top-k's −∞ logits.
		let inTopK = 0;
		for (let r = 0; r < keep; r++) inTopK += p[order[r]];
		let mass = 0;
		for (let r = 0; r < keep; r++) {
			mass += p[order[r]];
			if (mass >= topP * inTopK) {
				keep = r + 1;
				break;
			}
		}
	}
	let kept = 0;
	for (let r = 0; r < keep; r++) kept += p[order[r]];
	const out = new Float64Array(V);
	for (let r = 0; r < keep; r++) out[order[r]] = p[order[r]] / kept;
	return out;
}

/** Draw a token id from `logits` under `o`, with `rand` a uniform [0, 1) stream (inverse CDF in id order). */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rand: () => number): number {
	if (o.temperature === 0) return argmax(logits);
	const p = samplingDistribution(logits, o);
	const u = rand();
	let c = 0;
	let last = 0;
	for (let i = 0; i < p.length; i++) {
		if (p[i] === 0) continue;
		last = i;
		c += p[i];
		if (u < c) return i;
	}
	// u within rounding of 1: the last token that has any mass.
	return last;
}
