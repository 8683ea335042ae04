/**
 * Issue 15.8 / 15.12: exporting model.safetensors in 16 bits. F16 refuses a weight beyond its range (it would be
 * stored as ±Inf, which the loader refuses) with an error naming the tensor and its largest |value|; BF16 has the
 * float32 range and takes it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
	assertF16Range,
	exportDtype,
	F16_MAX,
	F16RangeError,
	f16ToF32,
	f32ToF16,
} from '../../../../src/lib/dph/checkpoint/dtype';
import { readSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { DPHTrainer } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

describe('F16 export range (issue 15.12)', () => {
	it('F16_MAX, the largest finite F16, passes; a larger |value| is refused, naming the tensor', () => {
		expect(f16ToF32(f32ToF16(new Float32Array([F16_MAX])))[0]).toBe(F16_MAX);
		// 65520 is the first value that rounds to Inf: the refusal is conservative by the values in (65504, 65520).
		expect(f16ToF32(f32ToF16(new Float32Array([65520])))[0]).toBe(Number.POSITIVE_INFINITY);
		assertF16Range([{ name: 'a', data: new Float32Array([F16_MAX, -F16_MAX, 0]) }]);
		const e = (() => {
			try {
				assertF16Range([
					{ name: 'ok', data: new Float32Array([1]) },
					{ name: 'big.weight', data: new Float32Array([3, -70000.5, 12]) },
				]);
			} catch (x) {
				return x as F16RangeError;
			}
		})();
		expect(e).toBeInstanceOf(F16RangeError);
		expect(e?.tensor).toBe('big.weight');
		expect(e?.maxAbs).toBe(70000.5);
		expect(e?.message).toMatch(/^big\.weight has \|value\| up to 70000\.5, beyond 65504.*bf16.*f32/);
	});

	it('exportDtype maps the flag values, absent → F32', () => {
		expect([exportDtype(undefined), exportDtype('f32'), exportDtype('f16'), exportDtype('bf16')]).toEqual([
			'F32',
			'F32',
			'F16',
			'BF16',
		]);
	});

	it('the trainer refuses an F16 export of a weight out of range and writes it in BF16', async () => {
		const t = new DPHTrainer(
			tf,
			resolveTrainConfig({
				steps: 2,
				batchSize: 2,
				optim: { warmupSteps: 0 },
				data: { trainPairs: 4, validationPairs: 2 },
			}),
		);
		try {
			const w = t.params['model.input_norm.weight'];
			const big = tf.tidy(() => tf.fill(w.shape, 1e5));
			w.assign(big);
			big.dispose();
			await expect(t.export('F16')).rejects.toThrow(/^model\.input_norm\.weight has \|value\| up to 100000/);
			const bf = readSafetensors((await t.export('BF16'))['model.safetensors']).tensors;
			const got = bf.find((x) => x.name === 'model.input_norm.weight');
			expect(got?.dtype).toBe('BF16');
			// 1e5 in BF16 is 99840 (8 significant bits).
			expect(got?.data[0]).toBe(99840);
		} finally {
			t.dispose();
		}
	});
});
