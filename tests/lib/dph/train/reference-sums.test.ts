/**
 * The frozen reference's sums are remembered per pair and padded length (train/reference-sums.ts). What makes that
 * exact: a row's sums depend on neither the other rows nor its place in the batch, checked here on wasm (the
 * backend the bench trains on) and cpu; and a run that takes them from the cache gives, step for step, the same
 * numbers as one that recomputes them.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CharTokenizer, type PreferencePair } from '../../../../src/lib/dph/data';
import { preset } from '../../../../src/lib/dph/model/config';
import { disposeParams, initParams } from '../../../../src/lib/dph/model/lswt';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { pairBatch } from '../../../../src/lib/dph/train/dataset';
import { type BatchTensors, referenceLogProbs } from '../../../../src/lib/dph/train/objective';
import { ReferenceSums } from '../../../../src/lib/dph/train/reference-sums';
import { DPHTrainer } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
});
afterAll(async () => {
	await tf.setBackend('cpu');
});

describe('ReferenceSums', () => {
	it('serves a batch only when every pair is known at that length, in the batch row order', () => {
		const [a, b, c] = [{}, {}, {}];
		const s = new ReferenceSums();
		expect(s.lookup([a, b], 16)).toBeNull();
		s.store([a, b], 16, [1, 2, -1, -2]); // chosen a, chosen b, rejected a, rejected b
		expect(Array.from(s.lookup([b, a], 16) ?? [])).toEqual([2, 1, -2, -1]);
		expect(s.lookup([a, b], 24)).toBeNull();
		expect(s.lookup([a, c], 16)).toBeNull();
		expect([s.hits, s.misses]).toEqual([1, 3]);
		expect(() => s.store([a], 16, [1, 2, 3])).toThrow(/3 sums for 1 pairs/);
	});
});

const cfg = (extra: Record<string, unknown> = {}) =>
	resolveTrainConfig({
		steps: 12,
		batchSize: 4,
		evalEvery: 100,
		data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
		optim: { warmupSteps: 1 },
		...extra,
	});

for (const backend of ['wasm', 'cpu'] as const) {
	describe(`on ${backend}`, () => {
		beforeAll(async () => {
			await tf.setBackend(backend);
		});

		it("a pair's reference sums do not depend on the other rows of its batch or its place in it", () => {
			const tok = new CharTokenizer();
			const c = preset('nano', tok.vocabSize);
			const before = tf.memory().numTensors;
			const ref = initParams(tf, c, 7);
			const pair = (i: number): PreferencePair => ({
				messages: [{ role: 'user', content: `q${i}` }],
				chosen: `yes${i % 3}`,
				rejected: 'no',
			});
			const sums = (pairs: PreferencePair[]) => {
				const b = pairBatch(tok, pairs, cfg());
				const shape: [number, number] = [b.rows, b.length];
				const t: BatchTensors = {
					ids: tf.tensor2d(b.ids, shape, 'int32'),
					targets: tf.tensor2d(b.targets, shape, 'int32'),
					trainMask: tf.tensor2d(b.trainMask, shape, 'float32'),
					evalMask: tf.tensor2d(b.evalMask, shape, 'float32'),
					rewardIndex: tf.tensor1d(b.rewardIndex, 'int32'),
				};
				const s = referenceLogProbs(tf, c, ref, t);
				const out = { length: b.length, values: Array.from(s.dataSync()) };
				tf.dispose([s, ...Object.values(t).filter((x) => x instanceof tf.Tensor)]);
				return out;
			};
			const one = sums([pair(1), pair(2), pair(3)]);
			const other = sums([pair(4), pair(5), pair(1), pair(6), pair(7)]);
			expect(other.length).toBe(one.length);
			expect(other.values[2]).toBe(one.values[0]); // chosen row of pair 1
			expect(other.values[5 + 2]).toBe(one.values[3]); // its rejected row
			expect(one.values[0]).not.toBe(one.values[3]);
			disposeParams(ref);
			expect(tf.memory().numTensors).toBe(before);
		});
	});
}

// On wasm, the bench's backend: the same steps on the cpu backend take ten times as long and check nothing more.
describe('a run on wasm', () => {
	beforeAll(async () => {
		await tf.setBackend('wasm');
	});

	it('training from the cache gives the same steps as recomputing the reference every time', async () => {
		const c = cfg();
		const before = tf.memory().numTensors;
		// One after the other: a trainer's variables carry the parameters' names, which tfjs keeps unique.
		const run = async (recompute: boolean) => {
			const t = new DPHTrainer(tf, c);
			if (recompute) vi.spyOn(t.refSums, 'lookup').mockReturnValue(null);
			const steps: number[][] = [];
			for (let i = 0; i < 8; i++) {
				const m = await t.step();
				steps.push([m.loss, m.dpoLoss, m.gradNorm]);
			}
			const evals = [await t.evaluate(), await t.evaluate()];
			const hits = t.refSums.hits;
			t.dispose();
			return { steps, evals, hits };
		};
		const cached = await run(false);
		const fresh = await run(true);
		expect(cached.steps).toEqual(fresh.steps);
		expect(cached.evals).toEqual(fresh.evals);
		// 8 pairs in batches of 4: a batch is computed until every pair in it is known at its length.
		expect(cached.hits).toBeGreaterThanOrEqual(4);
		expect(fresh.hits).toBe(0);
		expect(tf.memory().numTensors).toBe(before);
	}, 120_000);
});
