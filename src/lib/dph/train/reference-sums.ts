/**
 * The frozen cDPO reference's summed log-probs, remembered per pair. The reference never changes during a run, so
 * its forward on a pair is the same every epoch: computing it once per pair takes a whole model forward (about a
 * quarter of a step) off every step after the first epoch, and off every validation pass after the first.
 *
 * A pair's two sums are kept per padded length L: with causal attention and right padding a row's sums do not
 * depend on the padding or on the other rows (the padded positions are masked out, and each product's row is its
 * own), but a different L changes the shapes the kernels see and could change float32 rounding. Keyed by length,
 * a cached value is bit for bit what recomputing it would give, so a resumed run (which starts with an empty
 * cache) matches an uninterrupted one exactly; pads round to multiples of 8, so a pair sees few lengths.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/family';
import type { Params } from '../model/lswt';
import { type BatchTensors, referenceLogProbs } from './objective';

/** [chosen sum, rejected sum] of one pair at one padded length. */
type Sums = readonly [number, number];

export class ReferenceSums {
	private readonly byPair = new WeakMap<object, Map<number, Sums>>();
	/** Batches served from the cache and batches computed, for the bench and tests. */
	hits = 0;
	misses = 0;

	/**
	 * The reference's [2B] sums for a pair batch of `pairs` (the caller disposes the tensor): from the cache when
	 * every pair is in it at this padded length, else computed (one read back, to remember them).
	 */
	async batch(tf: typeof tfjs, c: ModelConfig, ref: Params, pairs: readonly object[], t: BatchTensors) {
		const [rows, length] = t.ids.shape as [number, number];
		const paired = rows === 2 * pairs.length;
		const known = paired ? this.lookup(pairs, length) : null;
		if (known) return tf.tensor1d(known, 'float32');
		const sums = referenceLogProbs(tf, c, ref, t);
		if (paired) this.store(pairs, length, await sums.data());
		return sums;
	}

	/**
	 * The batch's [2B] sums (B chosen rows, then B rejected, as the batch lays them out) when every pair has them at
	 * this length; otherwise null, and the caller computes the batch and stores it.
	 */
	lookup(pairs: readonly object[], length: number): Float32Array | null {
		const B = pairs.length;
		const out = new Float32Array(2 * B);
		for (let i = 0; i < B; i++) {
			const s = this.byPair.get(pairs[i])?.get(length);
			if (!s) {
				this.misses++;
				return null;
			}
			out[i] = s[0];
			out[B + i] = s[1];
		}
		this.hits++;
		return out;
	}

	/** Remembers a computed batch: `sums` is [2B] in the batch's row order. */
	store(pairs: readonly object[], length: number, sums: ArrayLike<number>): void {
		const B = pairs.length;
		if (sums.length !== 2 * B) throw new RangeError(`ReferenceSums: ${sums.length} sums for ${B} pairs`);
		for (let i = 0; i < B; i++) {
			let m = this.byPair.get(pairs[i]);
			if (!m) {
				m = new Map();
				this.byPair.set(pairs[i], m);
			}
			m.set(length, [sums[i], sums[B + i]]);
		}
	}
}
