/**
 * Deterministic splits and batch orders: the same seed always gives the same partition and the same batches,
 * on every platform (mulberry32 is pure 32-bit integer arithmetic).
 */
import { deriveSeed, mulberry32 } from '../random';
import { DataError } from './types';

/** A uniformly random permutation of 0…n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): number[] {
	const rand = mulberry32(deriveSeed(seed, 'permutation', n));
	const p = Array.from({ length: n }, (_, i) => i);
	for (let i = n - 1; i > 0; i--) {
		const j = Math.floor(rand() * (i + 1));
		const t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

/** A shuffled copy. */
export function shuffle<T>(xs: readonly T[], seed: number): T[] {
	return permutation(xs.length, seed).map((i) => xs[i]);
}

export interface SplitOptions {
	/** Fraction of items held out for validation, in [0, 1]. The count is round(n · fraction). */
	fraction: number;
	seed: number;
}

export interface Split<T> {
	train: T[];
	validation: T[];
	/** Indices into the input, ascending: each part keeps the input's order. */
	trainIndex: number[];
	validationIndex: number[];
}

/** Partition items into disjoint train and validation parts, chosen at random by seed. */
export function trainValidationSplit<T>(items: readonly T[], options: SplitOptions): Split<T> {
	const { fraction, seed } = options;
	if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
		throw new DataError(`fraction: must be a number in [0, 1], got ${JSON.stringify(fraction)}`);
	}
	if (!Number.isInteger(seed)) throw new DataError(`seed: must be an integer, got ${JSON.stringify(seed)}`);
	const n = items.length;
	const nVal = Math.round(n * fraction);
	const perm = permutation(n, deriveSeed(seed, 'split'));
	const isVal = new Uint8Array(n);
	for (let i = 0; i < nVal; i++) isVal[perm[i]] = 1;
	const trainIndex: number[] = [];
	const validationIndex: number[] = [];
	for (let i = 0; i < n; i++) (isVal[i] ? validationIndex : trainIndex).push(i);
	return {
		train: trainIndex.map((i) => items[i]),
		validation: validationIndex.map((i) => items[i]),
		trainIndex,
		validationIndex,
	};
}

export interface BatchOrderOptions {
	/** Drop a final batch smaller than batchSize, so every step has the same shape. Default false. */
	dropLast?: boolean;
}

/**
 * Index batches for one epoch: a fresh permutation per (seed, epoch), cut into batches of `batchSize`.
 * Resuming at epoch e, batch b reproduces exactly the batches an uninterrupted run would have seen.
 */
export function batchOrder(
	n: number,
	batchSize: number,
	seed: number,
	epoch: number,
	options: BatchOrderOptions = {},
): number[][] {
	if (!Number.isInteger(n) || n < 0) throw new DataError(`n: must be a non-negative integer, got ${n}`);
	if (!Number.isInteger(batchSize) || batchSize < 1) {
		throw new DataError(`batchSize: must be an integer ≥ 1, got ${batchSize}`);
	}
	if (!Number.isInteger(epoch) || epoch < 0) throw new DataError(`epoch: must be a non-negative integer, got ${epoch}`);
	const perm = permutation(n, deriveSeed(seed, 'epoch', epoch));
	const batches: number[][] = [];
	for (let i = 0; i < n; i += batchSize) {
		const b = perm.slice(i, i + batchSize);
		if (b.length < batchSize && options.dropLast) break;
		batches.push(b);
	}
	return batches;
}
