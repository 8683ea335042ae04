import { describe, expect, it } from 'vitest';
import { batchOrder, permutation, shuffle, trainValidationSplit } from '../../../../src/lib/dph/data/index';

describe('trainValidationSplit', () => {
	const items = Array.from({ length: 101 }, (_, i) => `item${i}`);

	it('is deterministic by seed, disjoint and complete', () => {
		const a = trainValidationSplit(items, { fraction: 0.2, seed: 1 });
		expect(trainValidationSplit(items, { fraction: 0.2, seed: 1 })).toEqual(a);
		expect(a.validation).toHaveLength(20);
		expect(a.train).toHaveLength(81);
		const all = new Set([...a.train, ...a.validation]);
		expect(all.size).toBe(101);
		expect(a.trainIndex.some((i) => a.validationIndex.includes(i))).toBe(false);
		// Each part keeps input order.
		expect(a.trainIndex).toEqual([...a.trainIndex].sort((x, y) => x - y));
		const b = trainValidationSplit(items, { fraction: 0.2, seed: 2 });
		expect(b.validationIndex).not.toEqual(a.validationIndex);
	});

	it('handles the edges and rejects bad arguments', () => {
		expect(trainValidationSplit(items, { fraction: 0, seed: 1 }).validation).toEqual([]);
		expect(trainValidationSplit(items, { fraction: 1, seed: 1 }).train).toEqual([]);
		expect(trainValidationSplit([], { fraction: 0.5, seed: 1 })).toEqual({
			train: [],
			validation: [],
			trainIndex: [],
			validationIndex: [],
		});
		expect(() => trainValidationSplit(items, { fraction: 1.5, seed: 1 })).toThrow(
			/fraction: must be a number in \[0, 1\], got 1.5/,
		);
		expect(() => trainValidationSplit(items, { fraction: 0.1, seed: 0.5 })).toThrow(
			/seed: must be an integer, got 0.5/,
		);
	});
});

describe('permutations and batch order', () => {
	it('permutes every index exactly once, reproducibly', () => {
		const p = permutation(50, 3);
		expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
		expect(permutation(50, 3)).toEqual(p);
		expect(shuffle(['a', 'b', 'c', 'd'], 9)).toEqual(shuffle(['a', 'b', 'c', 'd'], 9));
	});

	it('cuts each epoch into batches, reshuffled per epoch', () => {
		const e0 = batchOrder(10, 4, 1, 0);
		expect(e0.map((b) => b.length)).toEqual([4, 4, 2]);
		expect(e0.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
		expect(batchOrder(10, 4, 1, 0, { dropLast: true }).map((b) => b.length)).toEqual([4, 4]);
		expect(batchOrder(10, 4, 1, 1)).not.toEqual(e0);
		expect(batchOrder(10, 4, 1, 0)).toEqual(e0);
		expect(() => batchOrder(10, 0, 1, 0)).toThrow(/batchSize: must be an integer ≥ 1, got 0/);
	});
});
