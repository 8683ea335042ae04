import { describe, expect, it } from 'vitest';
import { getTf, initBackend } from '../../../../src/lib/dph/backend';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { DPHTrainer } from '../../../../src/lib/dph/train/trainer';

// Real WebGPU (Dawn on SwiftShader): catches kernels that exceed GPU limits, which the CPU backends never hit
// (tfjs-webgpu's addN binds one storage buffer per input; a model has more parameters than the limit of 8).
describe('DPH training on the real webgpu backend in Node', () => {
	it('runs optimizer steps with finite loss and gradient norm and no tensor growth', async () => {
		const report = await initBackend({ prefer: 'webgpu' });
		expect(report.backend).toBe('webgpu');
		const tf = await getTf();
		const t = new DPHTrainer(
			tf,
			resolveTrainConfig({
				steps: 5,
				batchSize: 2,
				data: { trainPairs: 16, validationPairs: 4 },
				optim: { warmupSteps: 1 },
			}),
		);
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
});
