import { describe, expect, it } from 'vitest';
import { getTf, initBackend } from '../../../../src/lib/dph/backend';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { DPHTrainer, TrainingDivergedError } from '../../../../src/lib/dph/train/trainer';

// Real WebGPU (Dawn on SwiftShader): catches kernels that exceed GPU limits, which the CPU backends never hit
// (tfjs-webgpu's addN binds one storage buffer per input; a model has more parameters than the limit of 8).
/** A few steps of the nano model on a handful of pairs; `optim` is merged over a one-step warm-up. */
const tiny = (optim: Record<string, unknown> = {}) =>
	resolveTrainConfig({
		steps: 5,
		batchSize: 2,
		data: { trainPairs: 16, validationPairs: 4 },
		optim: { warmupSteps: 1, ...optim },
	});

describe('DPH training on the real webgpu backend in Node', () => {
	it('runs optimizer steps with finite loss and gradient norm and no tensor growth', async () => {
		const report = await initBackend({ prefer: 'webgpu' });
		expect(report.backend).toBe('webgpu');
		const tf = await getTf();
		const t = new DPHTrainer(tf, tiny());
		const first = await t.step();
		const before = tf.memory().numTensors;
		const second = await t.step();
		expect(tf.memory().numTensors).toBe(before);
		for (const m of [first, second]) {
			expect(Number.isFinite(m.loss)).toBe(true);
			expect(Number.isFinite(m.gradNorm)).toBe(true);
			expect(m.gradNorm).toBeGreaterThan(0);
		}
		t.dispose();
	}, 180_000);

	it('catches weights an update made astronomically large (the weight-norm check runs on the GPU, not only on cpu)', async () => {
		await initBackend({ prefer: 'webgpu' });
		const tf = await getTf();
		const before = tf.memory().numTensors;
		const t = new DPHTrainer(tf, tiny({ weightDecay: 1e30, decayInit: false, dphWeightDecay: 1e30 }));
		const err = (await t.step().catch((e: unknown) => e)) as TrainingDivergedError;
		expect(err).toBeInstanceOf(TrainingDivergedError);
		expect([err.step, err.quantity, err.rolledBackTo]).toEqual([1, 'the weight norm after the update', 0]);
		const w = t.params['reward_heads.reward.weight'].dataSync();
		expect(Math.max(...Array.from(w, Math.abs))).toBeLessThan(10);
		t.dispose();
		// The optimizer's moments and the rollback's tensors are all released.
		expect(tf.memory().numTensors).toBe(before);
	}, 180_000);
});
