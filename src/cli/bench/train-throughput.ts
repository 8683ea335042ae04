import { type BackendName, getTf, initBackend } from '../../lib/dph/backend.ts';
import { resolveTrainConfig } from '../../lib/dph/train/config.ts';
import { DPHTrainer } from '../../lib/dph/train/trainer.ts';

/**
 * Tokens per second of full DPH training steps (forward, reference model, backward, LaProp) for a model preset.
 * The first step compiles kernels and is not timed.
 */
export async function trainThroughput(
	backend: BackendName,
	modelPreset: 'nano' | 'tiny',
	steps: number,
	batchSize: number,
) {
	await initBackend({ prefer: backend });
	const tf = await getTf();
	const cfg = resolveTrainConfig({
		steps: steps + 2,
		batchSize,
		model: { preset: modelPreset },
		data: { trainPairs: 64, validationPairs: 8 },
		optim: { warmupSteps: 1 },
	});
	const t = new DPHTrainer(tf, cfg);
	try {
		await t.step();
		let tokens = 0;
		let ms = 0;
		for (let i = 0; i < steps; i++) {
			const m = await t.step();
			tokens += (m.tokensPerSecond * m.ms) / 1000;
			ms += m.ms;
		}
		return (tokens * 1000) / ms;
	} finally {
		t.dispose();
	}
}
